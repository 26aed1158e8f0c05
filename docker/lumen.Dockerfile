# The lumen env as an image: the same package and pins as `make setup`.
FROM python:3.11.10-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/lumen.lock requirements/lumen.lock
COPY lumen lumen
RUN pip install -c requirements/lumen.lock -e '.[lab]' \
 && python -m ipykernel install --sys-prefix --name lumen --display-name "LÚMEN (Python 3)"
COPY . .
RUN useradd --create-home lumen && chown -R lumen /app
USER lumen
