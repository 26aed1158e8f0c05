# The lumen env as an image (JupyterLab, migrations, Metabase provisioning): the same
# package and the same frozen pins as `make setup` (requirements/lumen.lock).
# PYTHON_IMAGE is overridable (compose: LUMEN_PYTHON_IMAGE), e.g. by a local stand-in
ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 LUMEN_HOME=/app
RUN apt-get update && apt-get install -y --no-install-recommends curl git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/lumen.lock requirements/lumen.lock
COPY lumen lumen
# A CA bundle for a TLS-inspecting proxy, when the build is given one as a BuildKit secret (`--secret
# id=ca,src=…`): used for pip only and never stored in a layer; without it, pip's own certificates.
RUN --mount=type=secret,id=ca if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && pip install -c requirements/lumen.lock -e '.[lab]' \
 && python -m ipykernel install --sys-prefix --name lumen --display-name "LÚMEN (Python 3)" \
 && python -m lumen.validate.docs_assets
COPY . .
RUN useradd --create-home --uid 1000 lumen && mkdir -p runs reports .lumen && chown -R lumen /app
USER lumen
