"""The e2b sandbox: the real service when E2B_API_KEY is set; request/response mapping with a test double always."""

from __future__ import annotations

import os

import pytest
from e2b import SandboxException, TimeoutException
from e2b_code_interpreter.models import Context, Execution, ExecutionError, Logs, OutputMessage

from llmrl_core import SandboxUnavailableError, get_sandbox
from llmrl_core.testing import HostileProgramSuite, SandboxConformance
from llmrl_sandbox_e2b.config import E2BSandboxConfig
from llmrl_sandbox_e2b.sandbox import E2BSandbox

needs_key = pytest.mark.skipif(not os.environ.get("E2B_API_KEY"), reason="E2B_API_KEY is not set: the E2B cloud "
                               "cannot be reached without credentials")


@pytest.fixture(scope="module")
def e2b_sandbox():
    with get_sandbox("e2b", pool_size=2) as sandbox:
        yield sandbox


@needs_key
class TestE2BConformance(SandboxConformance):
    enforces_memory_limit = False
    timeout_slack_s = 15.0

    @pytest.fixture
    def sandbox(self, e2b_sandbox):
        return e2b_sandbox


@pytest.fixture(scope="module")
def e2b_fresh_sandbox():
    with get_sandbox("e2b", pool_size=2, fresh_sandbox_per_run=True) as sandbox:
        yield sandbox


@needs_key
class TestE2BHostile(HostileProgramSuite):
    """Hostile programs need a fresh remote sandbox per run: a pooled VM keeps files written outside the run dir."""

    runs_on_this_host = False
    enforces_memory_limit = False
    timeout_slack_s = 15.0

    @pytest.fixture
    def sandbox(self, e2b_fresh_sandbox):
        return e2b_fresh_sandbox


# --- a test double of the E2B SDK's sandbox object (the real cloud needs credentials) --------------

class FakeE2BRemoteTestDouble:
    """Scripted stand-in for ``e2b_code_interpreter.Sandbox``: records calls, answers with real SDK models."""

    created: list[FakeE2BRemoteTestDouble] = []

    def __init__(self, script, **create_kwargs):
        self.create_kwargs = create_kwargs
        self.script = script
        self.calls: list[tuple] = []
        self.killed = False
        self.files = self
        FakeE2BRemoteTestDouble.created.append(self)

    # files API
    def make_dir(self, path):
        self.calls.append(("make_dir", path))

    def write(self, path, data):
        self.calls.append(("write", path, data))

    def remove(self, path):
        self.calls.append(("remove", path))

    # code interpreter API
    def create_code_context(self, cwd=None, language=None):
        self.calls.append(("context", cwd, language))
        return Context(context_id=f"ctx{len(self.calls)}", language=language, cwd=cwd)

    def remove_code_context(self, context):
        self.calls.append(("remove_context", context.id))

    def run_code(self, code, context=None, timeout=None, on_stdout=None, on_stderr=None):
        self.calls.append(("run_code", code, context.cwd, timeout))
        return self.script(code, on_stdout, on_stderr)

    def kill(self):
        self.killed = True


def _double(script):
    FakeE2BRemoteTestDouble.created = []
    return E2BSandbox(E2BSandboxConfig(api_key="test-key", domain="e2b.example", pool_size=1, output_limit_bytes=2048),
                      sandbox_factory=lambda **kw: FakeE2BRemoteTestDouble(script, **kw))


def _stream(out_lines=(), err_lines=(), error=None):
    def script(code, on_stdout, on_stderr):
        for line in out_lines:
            on_stdout(OutputMessage(line, 0))
        for line in err_lines:
            on_stderr(OutputMessage(line, 0, error=True))
        return Execution(logs=Logs(stdout=list(out_lines), stderr=list(err_lines)), error=error)
    return script


def test_ok_mapping_and_request_with_e2b_test_double() -> None:
    sb = _double(_stream(["hello\n"], ["warn\n"]))
    result = sb.run("print('hello')", timeout_s=7, files={"data/in.txt": b"1"})
    assert (result.status, result.exit_code, result.stdout, result.stderr) == ("ok", 0, "hello\n", "warn\n")
    remote = FakeE2BRemoteTestDouble.created[0]
    assert remote.create_kwargs["api_key"] == "test-key" and remote.create_kwargs["domain"] == "e2b.example"
    assert remote.create_kwargs["allow_internet_access"] is False
    kinds = [c[0] for c in remote.calls]
    assert kinds == ["make_dir", "write", "context", "run_code", "remove_context", "remove"]
    workdir = remote.calls[0][1]
    assert remote.calls[1][1] == f"{workdir}/data/in.txt" and remote.calls[3][2] == workdir
    assert remote.calls[3][3] == 7  # the timeout reaches the SDK
    sb.run("print(2)")
    assert len(FakeE2BRemoteTestDouble.created) == 1, "the remote sandbox is reused"
    second_workdir = [c for c in remote.calls if c[0] == "make_dir"][1][1]
    assert second_workdir != workdir, "each execution gets a fresh directory and kernel"


def test_error_and_oom_mapping_with_e2b_test_double() -> None:
    error = ExecutionError("ZeroDivisionError", "division by zero", "Traceback ...\n  1/0")
    result = _double(_stream(error=error)).run("1/0")
    assert result.status == "error" and result.exit_code == 1
    assert result.error_last_line == "ZeroDivisionError: division by zero"
    oom = _double(_stream(error=ExecutionError("MemoryError", "", ""))).run("x = bytearray(10**12)")
    assert oom.status == "oom"


def test_timeout_discards_the_remote_sandbox_with_e2b_test_double() -> None:
    def script(code, on_stdout, on_stderr):
        on_stdout(OutputMessage("started\n", 0))
        raise TimeoutException("execution timed out")

    sb = _double(script)
    result = sb.run("import time; time.sleep(99)", timeout_s=1)
    assert result.status == "timeout" and result.stdout == "started\n"
    assert FakeE2BRemoteTestDouble.created[0].killed, "a timed-out remote keeps running, so it must be killed"
    sb.run("print(1)")
    assert len(FakeE2BRemoteTestDouble.created) == 2


def test_output_cap_with_e2b_test_double() -> None:
    result = _double(_stream(["x" * 1000 + "\n"] * 10)).run("flood()")
    assert result.status == "output_limit"
    assert len(result.stdout.encode()) <= 2048
    assert FakeE2BRemoteTestDouble.created[0].killed


def test_fresh_sandbox_per_run_with_e2b_test_double() -> None:
    FakeE2BRemoteTestDouble.created = []
    sb = E2BSandbox(E2BSandboxConfig(api_key="k", fresh_sandbox_per_run=True),
                    sandbox_factory=lambda **kw: FakeE2BRemoteTestDouble(_stream(["1\n"]), **kw))
    assert sb.run("print(1)").stdout == "1\n" and sb.run("print(1)").ok
    assert len(FakeE2BRemoteTestDouble.created) == 2 and all(r.killed for r in FakeE2BRemoteTestDouble.created)


def test_sdk_failure_is_surfaced_with_e2b_test_double() -> None:
    def script(code, on_stdout, on_stderr):
        raise SandboxException("502: sandbox unreachable")

    result = _double(script).run("print(1)")
    assert result.status == "sandbox_error"
    assert "SandboxException" in result.stderr and "sandbox unreachable" in result.stderr


def test_create_failure_is_surfaced_with_e2b_test_double() -> None:
    def refuse(**kwargs):
        raise SandboxException("401: invalid API key")

    sb = E2BSandbox(E2BSandboxConfig(api_key="bad"), sandbox_factory=refuse)
    result = sb.run("print(1)")
    assert result.status == "sandbox_error" and "invalid API key" in result.stderr


def test_missing_key_says_how_to_fix(monkeypatch) -> None:
    monkeypatch.delenv("E2B_API_KEY", raising=False)
    with pytest.raises(SandboxUnavailableError, match="E2B_API_KEY"):
        get_sandbox("e2b")
