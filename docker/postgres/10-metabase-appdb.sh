#!/bin/sh
# Metabase's own application database: a separate database and user, from .env.
# (postgres' entrypoint runs this once, on an empty data volume.)
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v mb_user="$METABASE_APP_DB_USER" -v mb_pass="$METABASE_APP_DB_PASSWORD" -v mb_db="$METABASE_APP_DB_NAME" <<'SQL'
CREATE ROLE :"mb_user" LOGIN PASSWORD :'mb_pass';
CREATE DATABASE :"mb_db" OWNER :"mb_user";
SQL
