"""`llmrl grpo` through the real CLI entry: bad names and fields fail fast with the fix in the message."""

from __future__ import annotations

import os
import subprocess
import sys


def _llmrl(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from llmrl_core.cli.main import run; sys.argv = ['llmrl', *sys.argv[1:]]; run()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "400"})  # rich wraps at the terminal width


def test_grpo_is_a_registered_command() -> None:
    out = _llmrl("grpo", "--help")
    assert out.returncode == 0 and "train" in out.stdout and "eval" in out.stdout


def test_unknown_task_lists_the_valid_names(tmp_path) -> None:
    out = _llmrl("grpo", "train", "--task", "arithmatic", "--output", str(tmp_path / "r"))
    assert out.returncode == 2
    assert "unknown task 'arithmatic'" in out.stderr and "arithmetic" in out.stderr and "gsm8k" in out.stderr


def test_unknown_model_and_bad_field_are_clear(tmp_path) -> None:
    out = _llmrl("grpo", "train", "--model", "smollm", "--output", str(tmp_path / "r"))
    assert out.returncode == 2 and "smollm2-135m" in out.stderr
    out = _llmrl("grpo", "train", "--mode", "ppo", "--output", str(tmp_path / "r"))
    assert out.returncode == 2 and "--mode" in out.stderr and "'ppo' is not one of 'maye', 'grpo'" in out.stderr
    out = _llmrl("grpo", "eval", "--checkpoint", str(tmp_path))
    assert out.returncode == 2 and "no model" in out.stderr
