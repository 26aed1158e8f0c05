"""Which Jupyter kernel runs the project's notebooks (the step notebooks and the report)."""

from __future__ import annotations


def kernel_name() -> str:
    """The lumen env's kernelspec when registered (make setup), else the current interpreter's."""
    from jupyter_client.kernelspec import KernelSpecManager

    return "lumen" if "lumen" in KernelSpecManager().find_kernel_specs() else "python3"


# The kernel's own log, not the notebook's: ipykernel warns on every start that its loopback TCP is
# not encrypted (the kernel is ours, on 127.0.0.1), and jupyter_client interrupts every kernel it
# shuts down (manager.py: SIGINT before the shutdown request), which ipykernel logs as an error,
# "KeyboardInterrupt caught in kernel.", whenever the signal lands while it still handles a message
# (seen after a passing validate). Neither tells a user anything; a cell's error reaches them through
# Papermill (the executed notebook and the step's message), a dead kernel as "Kernel died".
QUIET = ["--IPKernelApp.log_level=CRITICAL"]
