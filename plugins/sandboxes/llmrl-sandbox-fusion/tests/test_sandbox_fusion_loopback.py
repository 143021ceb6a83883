"""The fusion client against the real `llmrl sandbox serve` (local sandbox) on 127.0.0.1, started here."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time

import pytest

from llmrl_core import get_sandbox
from llmrl_core.testing import HostileProgramSuite, SandboxConformance
from llmrl_core.testing.hostile import descendants


@pytest.fixture(scope="module")
def server_url():
    """`llmrl sandbox serve --port 0` in a subprocess; its first stdout line names the URL."""
    cmd = [sys.executable, "-c", "from llmrl_core.cli.main import run; run()", "sandbox", "serve",
           "--port", "0", "--max-body-bytes", "1000000", "-o", "workers=2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "serving" not in line:
        proc.kill()
        pytest.fail(f"llmrl sandbox serve did not start: {line!r} {proc.stderr.read()[-2000:]}")
    url = line.split(" at ")[1].split()[0]
    yield url
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def fusion(server_url):
    with get_sandbox("fusion", endpoint=server_url, max_concurrency=8) as sandbox:
        yield sandbox


class TestFusionClientConformance(SandboxConformance):
    @pytest.fixture
    def sandbox(self, fusion):
        return fusion


class TestFusionClientHostile(HostileProgramSuite):
    sandbox_isolates = True  # the client cannot know; the server here runs the bubblewrap-isolated local sandbox

    @pytest.fixture
    def sandbox(self, fusion):
        return fusion


def _post(url: str, payload: bytes, path: str = "/run_code") -> tuple[int, dict]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def test_ping(fusion) -> None:
    assert fusion.ping()


def test_memory_limit_is_sent_to_an_llmrl_server(fusion) -> None:
    fusion.run("print(1)")
    assert fusion._send_memory is True
    result = fusion.run("blob = bytearray(700 * 1024 ** 2)\nprint(len(blob) > 0)", memory_mb=900)
    assert result.status == "ok", result  # over the server's 512 MB default: the limit did travel


def test_raw_fusion_response_shape(server_url) -> None:
    status, body = _post(server_url, json.dumps({"code": "print(7)", "language": "python", "run_timeout": 5}).encode())
    assert status == 200
    assert body["status"] == "Success"
    assert body["run_result"]["status"] == "Finished" and body["run_result"]["return_code"] == 0
    assert body["run_result"]["stdout"] == "7\n"
    assert isinstance(body["run_result"]["execution_time"], float)
    status, body = _post(server_url, json.dumps({"code": "import time; time.sleep(9)", "run_timeout": 0.5}).encode())
    assert body["status"] == "Failed" and body["run_result"]["status"] == "TimeLimitExceeded"


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"not json", "not JSON"),
        (json.dumps({"language": "python"}).encode(), "'code' is missing"),
        (json.dumps({"code": "print(1)", "language": "cpp"}).encode(), "python only"),
        (json.dumps({"code": "input()", "stdin": "data"}).encode(), "'stdin' is not supported"),
        (json.dumps({"code": "1", "run_timeout": -1}).encode(), "run_timeout"),
        (json.dumps({"code": "1", "files": {"a.txt": "%%%"}}).encode(), "not valid base64"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(server_url, payload, needle) -> None:
    status, body = _post(server_url, payload)
    assert status == 400
    assert body["status"] == "SandboxError" and needle in body["message"]


def test_request_over_the_body_bound_is_refused(fusion) -> None:
    result = fusion.run("x = 1\n" * 200_000)  # ~1.2 MB > --max-body-bytes 1000000
    assert result.status == "error"
    assert "refused" in result.stderr and "--max-body-bytes" in result.stderr


def test_run_many_through_the_server(fusion) -> None:
    results = fusion.run_many([f"print({i} + 1)" for i in range(40)])
    assert [r.stdout for r in results] == [f"{i + 1}\n" for i in range(40)]
    assert not fusion.failures


def test_server_process_tree_is_stable(fusion) -> None:
    fusion.run("print(1)")
    before = len(descendants())
    fusion.run_many(["import os\nif os.fork() == 0:\n    os.setsid()\n    import time; time.sleep(60)"] * 4)
    deadline = time.monotonic() + 5
    while len(descendants()) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(descendants()) <= before


def test_unreachable_server_is_a_reported_sandbox_error(caplog) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with get_sandbox("fusion", endpoint=f"http://127.0.0.1:{port}", retries=1, retry_backoff_s=0.01) as sb:
        result = sb.run("print(1)")
        assert result.status == "sandbox_error"
        assert "ConnectionRefusedError" in result.stderr and "after 2 attempts" in result.stderr
        assert "llmrl sandbox serve" in result.stderr
        assert sb.failures["ConnectionRefusedError"] == 1
    assert "fusion execution failed" in caplog.text


def test_endpoint_from_the_environment(monkeypatch, server_url) -> None:
    monkeypatch.setenv("SANDBOX_FUSION_ENDPOINT", server_url)
    with get_sandbox("fusion") as sb:
        assert sb.endpoint == server_url
        assert sb.run("print('env')").stdout == "env\n"


def test_bad_endpoint_is_a_config_error() -> None:
    from llmrl_core import ConfigError

    with pytest.raises(ConfigError, match="not an http"):
        get_sandbox("fusion", endpoint="localhost:8080")


def test_retries_5xx_then_succeeds_against_a_scripted_flaky_server() -> None:
    """A real HTTP server on loopback scripted to fail twice (a real Fusion server cannot be made to fail on cue)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    answers = [(503, b"overloaded"), (502, b"bad gateway"),
               (200, json.dumps({"status": "Success", "message": "", "run_result": {
                   "status": "Finished", "execution_time": 0.01, "return_code": 0, "stdout": "3\n", "stderr": ""}}).encode())]
    seen = []

    class Scripted(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            code, body = answers[min(len(seen) - 1, len(answers) - 1)]
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Scripted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with get_sandbox("fusion", endpoint=url, retries=2, retry_backoff_s=0.01, send_memory_limit=True) as sb:
            result = sb.run("print(1 + 2)", timeout_s=4, memory_mb=300)
        assert result.status == "ok" and result.stdout == "3\n"
        assert len(seen) == 3 and seen[0]["run_timeout"] == 4 and seen[0]["memory_limit_MB"] == 300
        seen.clear()
        with get_sandbox("fusion", endpoint=url) as sb:  # auto: this is not an llmrl server
            sb.run("print(1 + 2)", memory_mb=300)
        assert "memory_limit_MB" not in seen[0]
        seen.clear()
        answers[2] = (503, b"still overloaded")
        with get_sandbox("fusion", endpoint=url, retries=1, retry_backoff_s=0.01) as sb:
            result = sb.run("print(1)")
            assert result.status == "sandbox_error" and "HTTP 502" in result.stderr and sb.failures["HTTP 502"] == 1
    finally:
        server.shutdown()
