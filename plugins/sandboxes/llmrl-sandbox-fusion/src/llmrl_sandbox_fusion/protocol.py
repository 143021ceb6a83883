"""The Sandbox Fusion ``/run_code`` wire format, both directions, in one place.

Request: ``{code, language, compile_timeout, run_timeout, memory_limit_MB, stdin, files
(name -> base64), fetch_files}``. Response: ``{status: Success|Failed|SandboxError, message,
compile_result, run_result: {status: Finished|Error|TimeLimitExceeded, execution_time,
return_code, stdout, stderr}, executor_pod_name, files}``.

Fusion has no status for "out of memory" or "output too long"; our server adds the exact
llmrl status as an extra ``llmrl_status`` field, which other clients ignore and ours reads.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from llmrl_core import ExecResult
from llmrl_core.sandbox import EXEC_STATUSES

PYTHON_LANGUAGES = ("python", "python3")


class BadRequest(ValueError):
    """A request the server refuses; the message says which field and why."""


def build_request(code: str, *, timeout_s: float, memory_mb: int | None,
                  files: dict[str, bytes] | None, language: str = "python") -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code, "language": language, "compile_timeout": timeout_s, "run_timeout": timeout_s,
        "stdin": "", "files": {k: base64.b64encode(v).decode() for k, v in (files or {}).items()},
        "fetch_files": [],
    }
    if memory_mb is not None:
        body["memory_limit_MB"] = memory_mb
    return body


def parse_request(body: Any, *, default_timeout_s: float = 10.0,
                  default_memory_mb: int = 512) -> tuple[str, float, int, dict[str, bytes]]:
    """Validate a ``/run_code`` body; returns (code, timeout_s, memory_mb, files)."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with at least a 'code' field")
    code = body.get("code")
    if not isinstance(code, str):
        raise BadRequest("'code' is missing or not a string")
    language = body.get("language", "python")
    if language not in PYTHON_LANGUAGES:
        raise BadRequest(f"language {language!r} is not supported: this server runs python only")
    if body.get("stdin"):
        raise BadRequest("'stdin' is not supported by llmrl sandboxes; pass data through 'files' instead")
    timeout = body.get("run_timeout", default_timeout_s)
    memory = body.get("memory_limit_MB", default_memory_mb)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise BadRequest(f"'run_timeout' must be a positive number of seconds, got {timeout!r}")
    if not isinstance(memory, int) or memory <= 0:
        raise BadRequest(f"'memory_limit_MB' must be a positive integer, got {memory!r}")
    files_in = body.get("files") or {}
    if not isinstance(files_in, dict):
        raise BadRequest("'files' must map file names to base64 contents")
    files: dict[str, bytes] = {}
    for name, content in files_in.items():
        try:
            files[name] = base64.b64decode(content, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise BadRequest(f"file {name!r} is not valid base64") from None
    return code, float(timeout), int(memory), files


def result_to_response(result: ExecResult) -> dict[str, Any]:
    """An ExecResult as a Fusion response (plus ``llmrl_status``)."""
    if result.status == "sandbox_error":
        return {"status": "SandboxError", "message": result.stderr or "sandbox error", "compile_result": None,
                "run_result": None, "executor_pod_name": None, "files": {}, "llmrl_status": result.status}
    run_status = "TimeLimitExceeded" if result.status == "timeout" else "Finished"
    return {
        "status": "Success" if result.status == "ok" else "Failed",
        "message": "" if result.status in ("ok", "error") else result.status,
        "compile_result": None,
        "run_result": {"status": run_status, "execution_time": result.duration_s, "return_code": result.exit_code,
                       "stdout": result.stdout, "stderr": result.stderr},
        "executor_pod_name": None,
        "files": {},
        "llmrl_status": result.status,
    }


def response_to_result(response: Any, duration_s: float) -> ExecResult:
    """A Fusion response as an ExecResult; anything unexpected is a sandbox_error that says what came back."""
    if not isinstance(response, dict):
        return ExecResult("", f"sandbox error: the server answered {type(response).__name__}, not a JSON object",
                          None, "sandbox_error", duration_s)
    status, message = response.get("status"), response.get("message") or ""
    run = response.get("run_result") or {}
    stdout, stderr = str(run.get("stdout") or ""), str(run.get("stderr") or "")
    code = run.get("return_code")
    code = code if isinstance(code, int) else None
    ours = response.get("llmrl_status")
    if ours in EXEC_STATUSES:
        if ours == "sandbox_error":
            return ExecResult(stdout, f"sandbox error from server: {message}", code, "sandbox_error", duration_s)
        return ExecResult(stdout, stderr, code, ours, duration_s)
    if status == "SandboxError":
        return ExecResult(stdout, f"sandbox error from server: {message or '(no message)'}"
                          + (f"\n{stderr}" if stderr else ""), code, "sandbox_error", duration_s)
    if not run:
        compile_result = response.get("compile_result")
        return ExecResult("", f"sandbox error: status {status!r} with no run_result (message {message!r}, "
                          f"compile_result {compile_result!r})", code, "sandbox_error", duration_s)
    run_status = run.get("status")
    if run_status == "TimeLimitExceeded":
        return ExecResult(stdout, stderr, code, "timeout", duration_s)
    if run_status == "Finished":
        if code == 0:
            return ExecResult(stdout, stderr, code, "ok", duration_s)
        last = ([ln for ln in stderr.splitlines() if ln.strip()] or [""])[-1]
        return ExecResult(stdout, stderr, code, "oom" if "MemoryError" in last else "error", duration_s)
    return ExecResult(stdout, f"sandbox error: run status {run_status!r} (response status {status!r}, message "
                      f"{message!r})" + (f"\n{stderr}" if stderr else ""), code, "sandbox_error", duration_s)
