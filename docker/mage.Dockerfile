# Mage with the lumen env inside, apart from Mage's own Python: mage-ai 0.9.80 pins
# great-expectations 0.18 / pandas<3, LÚMEN needs GX 1.x. Blocks call $LUMEN_BIN.
# Built from the same python base as the lumen image with mage-ai from PyPI and the native
# .venv-mage's frozen pins: Docker Hub's newest mageai/mageai tag is 0.9.79, so an image tag
# that may not exist is never pinned. PYTHON_IMAGE is overridable (compose: LUMEN_PYTHON_IMAGE).
ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    LUMEN_HOME=/app LUMEN_BIN=/opt/lumen/bin/lumen MAGE_DATA_DIR=/app/.lumen/mage_data
RUN apt-get update && apt-get install -y --no-install-recommends curl git && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY mage_project/requirements.txt mage_project/constraints.lock mage_project/
# PIP_CERT from a BuildKit secret `ca` when given (a TLS-inspecting proxy), never stored in a layer
RUN --mount=type=secret,id=ca if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && pip install -c mage_project/constraints.lock -r mage_project/requirements.txt
COPY pyproject.toml README.md ./
COPY requirements/lumen.lock requirements/lumen.lock
COPY lumen lumen
RUN --mount=type=secret,id=ca if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
 && python -m venv /opt/lumen \
 && /opt/lumen/bin/pip install -c requirements/lumen.lock -e . \
 && /opt/lumen/bin/python -m ipykernel install --sys-prefix --name lumen --display-name "LÚMEN (Python 3)" \
 && /opt/lumen/bin/python -m lumen.validate.docs_assets
COPY . .
# the same user as the jupyterlab image (uid 1000): both write the shared `runs` volume, whose
# files then have one owner whichever container made them (a new named volume takes /app/runs'
# ownership from the image)
RUN useradd --create-home --uid 1000 lumen && mkdir -p runs .lumen/mage_data && chown -R lumen /app
USER lumen
# the triggers first: Mage's triggers.yaml is written from LÚMEN's schedules (lumen/run/schedules.py)
CMD ["sh", "-c", "/opt/lumen/bin/lumen pipeline triggers && exec mage start mage_project --host 0.0.0.0 --port 6789"]
