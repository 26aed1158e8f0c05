"""Which Jupyter kernel runs the project's notebooks (the step notebooks and the report)."""

from __future__ import annotations


def kernel_name() -> str:
    """The lumen env's kernelspec when registered (make setup), else the current interpreter's."""
    from jupyter_client.kernelspec import KernelSpecManager

    return "lumen" if "lumen" in KernelSpecManager().find_kernel_specs() else "python3"


# ipykernel warns on every start that its loopback TCP is not encrypted (the kernel is ours, on
# 127.0.0.1): said to every user of every step and report, it told them nothing they could act on.
QUIET = ["--IPKernelApp.log_level=ERROR"]
