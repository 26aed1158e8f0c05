# Mage (pinned image) with the lumen env inside, apart from Mage's own Python: mage-ai 0.9.80
# pins great-expectations 0.18 / pandas<3, LÚMEN needs GX 1.x. Blocks call $LUMEN_BIN.
FROM mageai/mageai:0.9.80
ENV PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    LUMEN_HOME=/app LUMEN_BIN=/opt/lumen/bin/lumen MAGE_DATA_DIR=/app/.lumen/mage_data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/lumen.lock requirements/lumen.lock
COPY lumen lumen
# uv brings a Python 3.11 for the lumen env whatever Python the Mage image ships
RUN pip install uv==0.5.11 \
 && uv venv --python 3.11 /opt/lumen \
 && uv pip install --python /opt/lumen/bin/python -c requirements/lumen.lock -e . \
 && /opt/lumen/bin/python -m ipykernel install --sys-prefix --name lumen --display-name "LÚMEN (Python 3)"
COPY . .
RUN mkdir -p runs .lumen/mage_data
CMD ["mage", "start", "mage_project", "--host", "0.0.0.0", "--port", "6789"]
