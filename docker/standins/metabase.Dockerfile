# Stand-in for metabase/metabase where no image can be pulled (#18's smoke test): the project's
# fake of Metabase's REST API (tests/fakes/metabase.py: its shapes, statuses and rules, in memory)
# behind the real service name and port. Not Metabase: it renders no dashboard.
# Build from the repository root: docker build -f docker/standins/metabase.Dockerfile .
ARG BASE=lumen-standin/python:3.11
FROM ${BASE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
COPY tests/fakes/metabase.py /srv/fake_metabase.py
EXPOSE 3000
CMD ["python", "/srv/fake_metabase.py", "--host", "0.0.0.0", "--port", "3000"]
