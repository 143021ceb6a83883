"""The codegen loop's control flow, driven by a scripted test-double provider (the LLM's replies are the
input under test); every candidate runs through the real ``local`` sandbox."""

from __future__ import annotations

import logging

import pytest

from llmrl_core import Generation, LLMProvider, SamplingParams
from llmrl_rewardgen.codegen import (
    CodegenConfig,
    CodegenError,
    CodegenLoop,
    ExtractionError,
    first_of,
    harness,
    json_field,
    python_block,
)


class ScriptedTestDoubleProvider(LLMProvider):
    """TEST DOUBLE: replies with a fixed script, one reply per call, and records what it was asked."""

    name = "scripted-test-double"

    def __init__(self, replies: list[str]):
        self.replies = list(replies)
        self.prompts: list = []

    def generate(self, prompts, params: SamplingParams | None = None) -> list[Generation]:
        self.prompts.extend(prompts)
        return [Generation(text=self.replies.pop(0), finish_reason="stop") for _ in prompts]


# A harness: the candidate must define add(a, b) that adds numbers.
CHECKS = """
ns = _load_candidate(CANDIDATE)
fn = ns.get("add")
if not callable(fn):
    _verdict(False, error="no function add(a, b)")
try:
    got = fn(2, 3)
except BaseException as exc:
    _verdict(False, error="add raised " + _short_tb(exc))
if got != 5:
    _verdict(False, error=f"add(2, 3) returned {got!r}, expected 5")
_verdict(True, value=got)
"""


def build(code):
    return harness(code, CHECKS)


def fenced(code: str) -> str:
    return f"Here you go:\n```python\n{code}\n```\n"


def test_extractors():
    assert python_block()("x\n```python\na = 1\n```\n```python\nb = 2\n```") == "b = 2"
    assert python_block(require="def f")("```python\ndef f(): pass\n```\n```python\nb = 2\n```") == "def f(): pass"
    assert python_block()("```python\ndef f():\n    return 1") == "def f():\n    return 1"  # cut by max_tokens
    assert python_block()('```json\n{"a": 1}\n```\nthen\n```python\nx = 2\n```') == "x = 2"  # other languages skipped
    assert json_field("Functions")('{"Understand": "u", "Functions": "def f(): pass"}') == "def f(): pass"
    assert json_field("Functions")('{"Functions": "```python\\nx = 1\\n```"}') == "x = 1"
    with pytest.raises(ExtractionError, match="no JSON object"):
        json_field("Functions")("no json here")
    with pytest.raises(ExtractionError, match="no fenced Python code block.*no JSON"):
        first_of(python_block(), json_field("Functions"))("plain words")


def test_repairs_until_accepted_and_records_every_round(local_sandbox, caplog):
    provider = ScriptedTestDoubleProvider([
        "I would rather explain in words.",  # not code: an error fed back like any other
        fenced("def add(a, b):\n    return a - b"),  # wrong result
        fenced("def add(a, b):\n    return undefined_name"),  # exception inside the sandbox
        fenced("def add(a, b):\n    return a + b"),  # right
    ])
    loop = CodegenLoop(provider, local_sandbox, extract=python_block(), build_program=build,
                       config=CodegenConfig(repair_budget=5, timeout_s=10))
    with caplog.at_level(logging.INFO, logger="llmrl_rewardgen.codegen"):
        transcript = loop.run([{"role": "user", "content": "write add(a, b)"}])
    assert transcript.ok and len(transcript.rounds) == 4
    assert transcript.code == "def add(a, b):\n    return a + b"
    errors = [r.error for r in transcript.rounds]
    assert "no fenced Python code block" in errors[0]
    assert "returned -1, expected 5" in errors[1]
    assert "NameError" in errors[2] and "line 2" in errors[2]
    assert errors[3] is None and transcript.rounds[3].verdict == {"ok": True, "value": 5}
    assert transcript.rounds[1].status == "ok" and transcript.rounds[2].duration_s > 0
    # each repair prompt carries the previous error; the scripted provider saw 4 prompts
    assert "returned -1, expected 5" in provider.prompts[2][-1]["content"]
    assert provider.prompts[2][-2] == {"role": "assistant", "content": fenced("def add(a, b):\n    return a - b")}
    assert len(provider.prompts[3]) == 3  # keep_history=False: prompt + last attempt + feedback
    text = caplog.text
    for i in range(1, 5):
        assert f"round {i}/6" in text
    assert "rejected" in text and "accepted" in text and "sandbox status=" in text
    assert transcript.to_dict()["ok"] is True


def test_failure_after_budget_carries_each_rounds_error(local_sandbox):
    provider = ScriptedTestDoubleProvider([
        fenced("def add(a, b):\n    while True:\n        pass"),  # hangs: the sandbox's timeout
        fenced("def add(a, b) return a"),  # syntax error
        fenced("import os\nos._exit(0)"),  # exits without a verdict
    ])
    loop = CodegenLoop(provider, local_sandbox, extract=python_block(), build_program=build,
                       config=CodegenConfig(repair_budget=2, timeout_s=2))
    with pytest.raises(CodegenError) as info:
        loop.run([{"role": "user", "content": "write add(a, b)"}])
    msg = str(info.value)
    assert "3 round(s) (1 attempt + 2 repairs)" in msg
    assert "round 1: the validation program did not finish within 2 s" in msg
    assert "round 2: the code does not load: SyntaxError" in msg
    assert "round 3: the validation program ended without a verdict" in msg
    assert [r.status for r in info.value.transcript.rounds] == ["timeout", "ok", "ok"]
    assert not info.value.transcript.ok


def test_keep_history_sends_the_whole_conversation(local_sandbox):
    provider = ScriptedTestDoubleProvider(["no code", "still none", fenced("def add(a, b):\n    return a + b")])
    loop = CodegenLoop(provider, local_sandbox, extract=python_block(), build_program=build,
                       config=CodegenConfig(repair_budget=2, keep_history=True))
    assert loop.run([{"role": "user", "content": "q"}]).ok
    assert [len(p) for p in provider.prompts] == [1, 3, 5]


def test_candidate_code_does_not_run_in_process(local_sandbox, tmp_path):
    marker = tmp_path / "touched"
    provider = ScriptedTestDoubleProvider([fenced(f"open({str(marker)!r}, 'w').write('x')\ndef add(a, b):\n    return a + b")])
    loop = CodegenLoop(provider, local_sandbox, extract=python_block(), build_program=build,
                       config=CodegenConfig(repair_budget=0))
    try:
        loop.run([{"role": "user", "content": "q"}])
    except CodegenError:
        pass  # the sandbox may refuse the write (read-only host paths): either way the host file is untouched
    assert not marker.exists()


def test_a_failing_sandbox_stops_the_loop_with_core_s_sandbox_error() -> None:
    """A sandbox_error is the sandbox's failure, not the candidate's: no repair round, llmrl-core's one error."""
    from llmrl_core import ComponentUnavailableError, ExecResult, SandboxUnavailableError
    from llmrl_rewardgen.codegen import judge

    broken = ExecResult("", "sandbox error: the worker died or stopped answering", None, "sandbox_error", 0.1)
    with pytest.raises(SandboxUnavailableError, match="the sandbox failed .*worker died") as info:
        judge(broken, timeout_s=5, memory_mb=256)
    assert isinstance(info.value, ComponentUnavailableError)
