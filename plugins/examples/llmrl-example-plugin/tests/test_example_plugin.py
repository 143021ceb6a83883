"""The example plugin runs llmrl's conformance suites, as a third-party plugin would."""

from __future__ import annotations

import pytest

from llmrl_core import make_env
from llmrl_core.testing import EnvironmentConformance


class TestCorridor(EnvironmentConformance):
    env_id = "llmrl-example/Corridor-v0"


def test_walking_right_reaches_the_goal():
    env = make_env("llmrl-example/Corridor-v0", length=4)
    env.reset(seed=0)
    rewards = [env.step(1)[1:3] for _ in range(3)]
    assert rewards[-1] == (1.0, True) and all(r == -0.01 for r, _ in rewards[:-1])


def test_invalid_length_is_a_clear_error():
    with pytest.raises(ValueError, match="length must be >= 2"):
        make_env("llmrl-example/Corridor-v0", length=1)


def test_subprocess_sandbox_basics():
    from llmrl_core import get_sandbox

    with get_sandbox("example-subprocess") as sandbox:
        assert sandbox.run("print(6 * 7)").stdout == "42\n"
        failed = sandbox.run("1/0")
        assert failed.status == "error" and failed.error_last_line.startswith("ZeroDivisionError")
        assert sandbox.run("import time; time.sleep(5)", timeout_s=0.5).status == "timeout"
        assert sandbox.run("print(open('data.txt').read())", files={"data.txt": b"hi"}).stdout == "hi\n"
