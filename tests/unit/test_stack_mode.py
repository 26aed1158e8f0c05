"""Which stack make up/down/logs/clean drive (scripts/stack_mode.py): what runs and what was
recorded decide, never merely whether a Docker engine answers."""

import importlib.util

import pytest

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("stack_mode", ROOT / "scripts" / "stack_mode.py")
stack_mode = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stack_mode)


def engine_answers() -> bool:
    return True


def no_engine() -> bool:
    return False


def asked() -> bool:
    raise AssertionError("down/logs/clean must not ask whether a Docker engine answers")


@pytest.mark.parametrize("action", ["down", "logs", "clean"])
def test_a_native_stack_stops_natively_even_where_docker_answers(action):
    assert stack_mode.modes(action, None, None, native=True, engine=asked) == ["native"]
    assert stack_mode.modes(action, None, "native", native=True, engine=asked) == ["native"]
    assert stack_mode.modes(action, None, "docker", native=True, engine=asked) == ["native", "docker"]  # both
    assert stack_mode.modes(action, None, "docker", native=False, engine=asked) == ["docker"]
    assert stack_mode.modes(action, None, None, native=False, engine=asked) == ["native"]


def test_up_prefers_what_runs_then_an_engine_and_can_be_forced():
    assert stack_mode.modes("up", None, None, native=True, engine=engine_answers) == ["native"]
    assert stack_mode.modes("up", None, "native", native=False, engine=engine_answers) == ["docker"]
    assert stack_mode.modes("up", None, None, native=False, engine=no_engine) == ["native"]
    assert stack_mode.modes("up", "0", None, native=False, engine=asked) == ["native"]
    assert stack_mode.modes("down", "docker", None, native=True, engine=asked) == ["docker"]
