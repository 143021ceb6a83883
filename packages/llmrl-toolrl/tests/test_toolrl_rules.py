"""ToRL's observation, code-extraction and reward rules; the sandbox's limits and its failure."""

from __future__ import annotations

import pytest

from llmrl_core import ExecResult, LlmrlError
from llmrl_toolrl.config import ToolConfig
from llmrl_toolrl.observation import EMPTY_MESSAGE, extract_last_python_block, format_observation
from llmrl_toolrl.rewards import ToolReward, tool_metrics
from llmrl_toolrl.rollout import SandboxUnavailableError, ToolCall, _check_sandbox, open_sandbox


def _res(stdout="", stderr="", code=0, status="ok"):
    return ExecResult(stdout, stderr, code, status, 0.01)


def test_last_complete_python_block_is_taken():
    text = "```python\nprint(1)\n```\nthen\n```python\nx = 2\nprint(x)\n```\nand ```python\nprint(3)"
    assert extract_last_python_block(text) == "x = 2\nprint(x)\n"
    assert extract_last_python_block("```python\nprint(3)\n") is None
    assert extract_last_python_block("no code") is None


def test_observation_stdout_error_last_line_empty_and_truncation():
    assert format_observation(_res("84\n")) == "84"
    tb = "Traceback (most recent call last):\n  File \"<x>\", line 1\nZeroDivisionError: division by zero\n"
    assert format_observation(_res("", tb, 1, "error")) == "ZeroDivisionError: division by zero"
    # stdout wins when it is non-empty, and an error keeps only its last line
    assert format_observation(_res("a\nb\nlast\n", tb, 1, "error")) == "last"
    assert format_observation(_res("", "", None, "timeout")) == EMPTY_MESSAGE
    assert format_observation(_res("", "")) == EMPTY_MESSAGE
    long = "".join(chr(65 + i % 26) for i in range(300))
    cut = format_observation(_res(long))
    assert cut == long[:128] + "..." + long[-128:]
    assert format_observation(_res("x" * 255)) == "x" * 255
    assert format_observation(_res("x" * 256)) == "x" * 128 + "..." + "x" * 128


def test_reward_cases():
    r = ToolReward()
    assert r.score("so \\boxed{84}", "84") == 1.0
    assert r.score("so \\boxed{85}", "84") == -1.0
    assert r.score("the answer is 84", "84") == -1.0  # no box: wrong, as ToRL
    assert r.score("\\boxed{1} then \\boxed{84}", "84") == 1.0  # the last box counts
    assert r.score("so \\boxed{12 * 7}", "84") == -1.0  # an expression left for the judge is not an answer
    assert r.score("so \\boxed{12 \\times 7}", "84") == -1.0
    p = ToolReward(exec_penalty=-0.5)
    assert p.score("\\boxed{84}", "84", []) == 1.0  # no tool call: never penalised
    assert p.score("\\boxed{84}", "84", ["ok"]) == 1.0
    assert p.score("\\boxed{84}", "84", ["error", "ok"]) == 0.5  # an earlier failure is not overwritten
    assert p.score("\\boxed{3}", "84", ["timeout"]) == -1.5
    logged = {}
    out = p(None, ["\\boxed{84}", "\\boxed{2}"], answer=["84", "84"], tool_statuses=[["error", "ok"], []],
            log_metric=logged.__setitem__)
    assert out == [0.5, -1.0]
    assert logged["tools/calls_per_response"] == 1.0 and logged["tools/exec_success_rate"] == 0.5
    assert logged["tools/response_share"] == 0.5 and logged["tools/accuracy"] == 0.5


def test_tool_metrics_without_calls():
    m = tool_metrics([[], []], [-1.0, 1.0], [10, 20])
    assert m == {"tools/calls_per_response": 0.0, "tools/exec_success_rate": 0.0, "tools/response_share": 0.0,
                 "tools/accuracy": 0.5, "tools/response_tokens": 15.0}


def test_sandbox_errors_stop_the_rollout():
    cfg = ToolConfig(max_sandbox_error_rate=0.5)
    ok, broken = ToolCall("x", "ok", "1"), ToolCall("x", "sandbox_error", "worker died")
    _check_sandbox([ok, broken], cfg)  # half: tolerated
    with pytest.raises(SandboxUnavailableError, match="failed inside the 'local' sandbox"):
        _check_sandbox([ok, broken, broken], cfg)


def test_unavailable_sandbox_is_a_clear_error():
    cfg = ToolConfig(sandbox_config={"python": "/nonexistent/python3", "start_timeout_s": 10})
    with pytest.raises(LlmrlError) as err:
        open_sandbox(cfg).close()
    assert "sandbox" in str(err.value).lower()


@pytest.fixture(scope="module")
def sandbox():
    box = open_sandbox(ToolConfig(sandbox_config={"workers": 2, "light_preload": None, "preload": ["math"]}))
    yield box
    box.close()


def test_real_sandbox_error_hang_and_flood(sandbox):
    codes = ["print(1 / 0)", "while True:\n    pass", "print('x' * 5000)", "print(6 * 7)"]
    results = sandbox.run_many(codes, timeout_s=1.0, memory_mb=256)
    obs = [format_observation(r) for r in results]
    assert [r.status for r in results][:1] == ["error"] and obs[0] == "ZeroDivisionError: division by zero"
    assert results[1].status == "timeout" and obs[1] == EMPTY_MESSAGE
    assert obs[2] == "x" * 128 + "..." + "x" * 128
    assert results[3].status == "ok" and obs[3] == "42"
