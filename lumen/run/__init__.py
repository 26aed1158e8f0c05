"""The run machinery: the tasks every entry point shares (CLI, step notebooks, Mage blocks), the
step runner (Papermill + ops.step_runs + the run lock), Mage, the native services and the lab.

Imports go one way: `lumen.cli` → `lumen.run` → the domain (`lumen.ingest`, `lumen.clean.transform`,
`lumen.validate.validation` …); the domain never imports from here.
"""
