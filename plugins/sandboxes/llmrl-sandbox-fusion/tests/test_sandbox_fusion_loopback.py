"""The fusion client against the real `llmrl sandbox serve` (local sandbox) on 127.0.0.1, started here."""

from __future__ import annotations

import http.client
import json
import re
import time

import pytest

from llmrl_core import ConfigError, get_sandbox
from llmrl_core.testing import HostileProgramSuite, SandboxConformance
from llmrl_core.testing.hostile import descendants, settled_descendant_count
from llmrl_sandbox_fusion.spawn import start_server, stop_server


@pytest.fixture(scope="module")
def server_url():
    """`llmrl sandbox serve --port 0` in a subprocess; its first stdout line names the URL."""
    proc, url = start_server("workers=2", extra_args=("--max-body-bytes", "1000000"))
    yield url
    stop_server(proc)


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
    assert fusion.pool.endpoints[0].send_memory is True
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
    before = settled_descendant_count()  # not at once: the server's pool forks its next worker ahead
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
        assert "ConnectionRefusedError" in result.stderr and "after 2 sends" in result.stderr
        assert "llmrl sandbox serve" in result.stderr
        assert sb.failures["ConnectionRefusedError"] == 1 and sb.resent == 1
    assert "fusion execution failed" in caplog.text


def test_endpoint_from_the_environment(monkeypatch, server_url) -> None:
    monkeypatch.setenv("SANDBOX_FUSION_ENDPOINT", server_url)
    with get_sandbox("fusion") as sb:
        assert sb.endpoints == [server_url]
        assert sb.run("print('env')").stdout == "env\n"
    monkeypatch.setenv("SANDBOX_FUSION_ENDPOINT", f"{server_url}, http://127.0.0.1:1")
    with get_sandbox("fusion") as sb:
        assert sb.endpoints == [server_url, "http://127.0.0.1:1"]
    monkeypatch.setenv("SANDBOX_FUSION_ENDPOINT", "localhost:8080")
    with pytest.raises(ConfigError, match="SANDBOX_FUSION_ENDPOINT: 'localhost:8080' is not an http"):
        get_sandbox("fusion")


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"endpoint": "localhost:8080"}, "endpoint: Value error, 'localhost:8080' is not an http"),
        ({"endpoints": ["http://a:1", "ftp://b"]}, "endpoints: Value error, 'ftp://b' is not an http"),
        ({"endpoints": ["http://a:1", "http://a:1/"]}, "listed twice"),
        ({"endpoints": ["http://a:1"], "endpoint": "http://b:1"}, "not both"),
    ],
)
def test_bad_endpoints_are_config_errors_naming_the_field(config, needle) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        get_sandbox("fusion", **config)


OK_ANSWER = (200, json.dumps({"status": "Success", "message": "", "run_result": {
    "status": "Finished", "execution_time": 0.01, "return_code": 0, "stdout": "3\n", "stderr": ""}}).encode())


@pytest.fixture
def scripted_server():
    """A real HTTP server on loopback that answers request k with ``script[k]`` (a real Fusion server cannot be
    made to fail on cue): ``(status, body)``, ``"drop"`` (close without answering), ``"cut"`` (close mid-answer)
    or ``"stall"`` (answer after the client's timeout). Yields (url, script, seen request bodies)."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    script: list = []
    seen: list[dict] = []

    class Scripted(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            action = script[min(len(seen) - 1, len(script) - 1)]
            if action == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if action == "stall":
                time.sleep(1.5)
                action = OK_ANSWER
            code, body = (200, OK_ANSWER[1]) if action == "cut" else action
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if action == "cut":
                self.wfile.write(body[:10])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script, seen
    server.shutdown()


def test_declined_and_unanswered_requests_are_re_sent(scripted_server) -> None:
    url, script, seen = scripted_server
    script[:] = [(503, b"overloaded"), (429, b"slow down"), "drop", OK_ANSWER]
    with get_sandbox("fusion", endpoint=url, retries=3, retry_backoff_s=0.01, send_memory_limit=True) as sb:
        result = sb.run("print(1 + 2)", timeout_s=4, memory_mb=300)
        assert result.status == "ok" and result.stdout == "3\n"
        assert len(seen) == 4 and sb.resent == 3 and not sb.failures
    assert seen[0]["run_timeout"] == 4 and seen[0]["memory_limit_MB"] == 300
    seen.clear()
    with get_sandbox("fusion", endpoint=url) as sb:  # auto: this is not an llmrl server
        sb.run("print(1 + 2)", memory_mb=300)
    assert "memory_limit_MB" not in seen[0]


@pytest.mark.parametrize(
    ("answer", "needle"),
    [
        ((500, b"internal"), "HTTP 500"),
        ((502, b"bad gateway"), "HTTP 502"),
        ((504, b"gateway timeout"), "HTTP 504"),
        ("cut", "was cut off"),
        ("stall", "not re-sent, as the server may still be running it"),
    ],
)
def test_answered_or_ambiguous_requests_are_never_re_sent(scripted_server, answer, needle) -> None:
    url, script, seen = scripted_server
    script[:] = [answer, OK_ANSWER]
    with get_sandbox("fusion", endpoint=url, retries=3, retry_backoff_s=0.01, request_slack_s=0.3,
                     send_memory_limit=False) as sb:
        result = sb.run("print(1)", timeout_s=0.2)
        assert result.status == "sandbox_error" and needle in result.stderr
        assert len(seen) == 1 and sb.resent == 0 and sum(sb.failures.values()) == 1


def test_503_until_out_of_retries_is_a_sandbox_error(scripted_server) -> None:
    url, script, seen = scripted_server
    script[:] = [(503, b"still overloaded")]
    with get_sandbox("fusion", endpoint=url, retries=1, retry_backoff_s=0.01, send_memory_limit=False) as sb:
        result = sb.run("print(1)")
        assert result.status == "sandbox_error" and "no endpoint answered after 2 sends" in result.stderr
        assert "declined with HTTP 503" in result.stderr and sb.failures["HTTP 503"] == 1 and len(seen) == 2
