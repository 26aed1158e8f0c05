# Stand-in for python:3.11.x-slim-bookworm where no image can be pulled (#18's smoke test): this
# machine's own CPython 3.11 (≥ 3.11.5, which requirements/lumen.lock needs; Debian bookworm's
# is 3.11.2) without its site-packages, on the debootstrap base, with the libraries it links.
# scripts/docker_standins.sh copies the interpreter into python3.11/ of the build context.
ARG BASE=lumen-standin/debian:bookworm
FROM ${BASE}
ENV LANG=C.UTF-8 LD_LIBRARY_PATH=/opt/python3.11/lib PATH=/opt/python3.11/bin:$PATH
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
    libssl3 libsqlite3-0 libffi8 libbz2-1.0 liblzma5 zlib1g libreadline8 libncursesw6 libgdbm6 libuuid1 libexpat1 \
 && rm -rf /var/lib/apt/lists/*
COPY python3.11 /opt/python3.11
RUN python3 -m ensurepip --default-pip >/dev/null && ln -sf /opt/python3.11/bin/pip3 /opt/python3.11/bin/pip \
 && ln -sf /opt/python3.11/bin/python3 /opt/python3.11/bin/python && python --version
