"""The Fusion wire mapping, both ways, including responses of a public Sandbox Fusion server (no llmrl_status)."""

from __future__ import annotations

import base64

import pytest

from llmrl_core import ExecResult
from llmrl_sandbox_fusion.protocol import (
    BadRequest,
    build_request,
    parse_request,
    response_to_result,
    result_to_response,
)


def _fusion(status: str, run_status: str | None, rc: int | None = 0, stdout: str = "", stderr: str = "",
            message: str = "") -> dict:
    run = None if run_status is None else {"status": run_status, "execution_time": 0.1, "return_code": rc,
                                           "stdout": stdout, "stderr": stderr}
    return {"status": status, "message": message, "compile_result": None, "run_result": run,
            "executor_pod_name": None, "files": {}}


@pytest.mark.parametrize(
    ("response", "status", "exit_code"),
    [
        (_fusion("Success", "Finished", 0, "1\n"), "ok", 0),
        (_fusion("Failed", "Finished", 1, stderr="Traceback...\nZeroDivisionError: division by zero\n"), "error", 1),
        (_fusion("Failed", "Finished", 1, stderr="Traceback...\nMemoryError\n"), "oom", 1),
        (_fusion("Failed", "TimeLimitExceeded", None), "timeout", None),
        (_fusion("SandboxError", None, None, message="UnknownError"), "sandbox_error", None),
        (_fusion("Failed", None, None, message="compile failed"), "sandbox_error", None),
        (_fusion("Failed", "Error", None, message="runner crashed"), "sandbox_error", None),
    ],
)
def test_public_fusion_responses(response, status, exit_code) -> None:
    result = response_to_result(response, 0.2)
    assert (result.status, result.exit_code) == (status, exit_code)
    if status == "sandbox_error":
        assert response["message"] in result.stderr or "runner crashed" in result.stderr  # the cause is kept


def test_unknown_error_is_never_swallowed() -> None:
    result = response_to_result(_fusion("SandboxError", None, None, message="UnknownError"), 0.1)
    assert result.status == "sandbox_error" and "UnknownError" in result.stderr
    assert response_to_result(["not", "a", "dict"], 0.1).status == "sandbox_error"


@pytest.mark.parametrize("status", ["ok", "error", "timeout", "oom", "output_limit", "sandbox_error"])
def test_round_trip_keeps_the_llmrl_status(status) -> None:
    original = ExecResult("out", "err" if status != "sandbox_error" else "worker died", 3, status, 0.5)
    back = response_to_result(result_to_response(original), 0.5)
    assert back.status == status
    if status != "sandbox_error":
        assert (back.stdout, back.stderr, back.exit_code) == ("out", "err", 3)
    else:
        assert "worker died" in back.stderr


def test_request_round_trip() -> None:
    body = build_request("print(1)", timeout_s=3.0, memory_mb=256, files={"a.bin": b"\x00\xff"})
    assert body["files"]["a.bin"] == base64.b64encode(b"\x00\xff").decode()
    assert parse_request(body) == ("print(1)", 3.0, 256, {"a.bin": b"\x00\xff"})
    assert "memory_limit_MB" not in build_request("1", timeout_s=1, memory_mb=None, files=None)


def test_bad_request_fields() -> None:
    with pytest.raises(BadRequest, match="memory_limit_MB"):
        parse_request({"code": "1", "memory_limit_MB": "lots"})
    with pytest.raises(BadRequest, match="JSON object"):
        parse_request([1, 2])
