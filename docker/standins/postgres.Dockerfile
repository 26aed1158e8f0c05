# Stand-in for the official postgres image where none can be pulled (#18's smoke test): Debian's
# PostgreSQL on the debootstrap base, with an entrypoint of ours that honours the official
# image's POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB and /docker-entrypoint-initdb.d.
ARG BASE=lumen-standin/debian:bookworm
FROM ${BASE}
ENV PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql \
 && chown postgres:postgres /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
EXPOSE 5432
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
