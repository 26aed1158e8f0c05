"""`python -m lumen.publish.dbt_cli ARGS` is `dbt ARGS`, started ~2× faster: running it as a module of `lumen`
imports lumen/__init__.py first, which keeps jsonschema from compiling a grammar dbt never uses."""

from dbt.cli.main import cli

if __name__ == "__main__":
    cli()
