"""Value types and the light import of llmrl_core."""

from __future__ import annotations

import subprocess
import sys

import pytest

from llmrl_core import ExecResult, SamplingParams


def test_sampling_params_normalise_stop_and_reject_bad_values():
    assert SamplingParams(stop="```output").stop == ("```output",)
    assert SamplingParams(stop=["a", "b"]).stop == ("a", "b")
    for bad in ({"n": 0}, {"temperature": -1}, {"top_p": 0}, {"max_tokens": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            SamplingParams(**bad)


def test_exec_result_error_last_line():
    tb = 'Traceback (most recent call last):\n  File "<x>", line 1\nZeroDivisionError: division by zero\n\n'
    result = ExecResult("", tb, 1, "error", 0.01)
    assert result.error_last_line == "ZeroDivisionError: division by zero"
    assert not result.ok and ExecResult("1\n", "", 0, "ok", 0.0).ok


def test_import_llmrl_core_pulls_no_heavy_dependency():
    code = (
        "import sys, llmrl_core, llmrl_core.testing\n"
        "from llmrl_core import list_components; list_components()\n"
        "heavy = [m for m in ('torch','transformers','mujoco','vllm','trl','e2b') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
