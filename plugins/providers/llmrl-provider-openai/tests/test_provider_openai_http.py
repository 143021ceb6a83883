"""The openai provider's HTTP behaviour against scripted servers on 127.0.0.1.

A real vLLM or OpenAI cannot be made to answer 503, 429 or garbage on cue, so these
tests start a stdlib HTTP server on loopback that answers from a script (a test
double, hence the ``scripted_server`` names). The provider against a real model
server (`llmrl serve`) is tested in integration_tests/tests/test_integration_serve_openai.py.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llmrl_core import ConfigError, SamplingParams, get_provider
from llmrl_provider_openai.http import EndpointError

Reply = tuple[int, dict[str, str], bytes]


def completion(n: int = 1, text: str = "ok") -> bytes:
    choices = [{"index": i, "text": f"{text}{i}", "finish_reason": "length",
                "logprobs": {"tokens": ["token_id:5", "token_id:7"], "token_logprobs": [-0.5, -1.5]}} for i in range(n)]
    return json.dumps({"model": "m", "choices": choices}).encode()


class Script:
    """Answers request k with ``replies[min(k, last)]``; records what it saw."""

    def __init__(self, replies: list[Reply | Callable[[dict], Reply]], delay_s: float = 0.0):
        self.replies, self.delay_s = replies, delay_s
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()

    def reply(self, body: dict, headers: dict[str, str]) -> Reply:
        with self.lock:
            k = len(self.requests)
            self.requests.append(body)
            self.headers.append(headers)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay_s)
            reply = self.replies[min(k, len(self.replies) - 1)]
            return reply(body) if callable(reply) else reply
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture
def scripted_server() -> Iterator[Callable[[Script], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(script: Script) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                status, headers, body = script.reply(json.loads(raw or b"{}"), dict(self.headers))
                try:
                    self.send_response(status)
                    for key, value in {"content-type": "application/json", **headers}.items():
                        self.send_header(key, value)
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left, as the timeout test intends

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _provider(base_url: str, **kw):
    return get_provider("openai", base_url=base_url, model="m", backoff_s=0.01, backoff_max_s=0.05, **kw)


def test_retries_503_from_scripted_server_then_succeeds(scripted_server) -> None:
    script = Script([(503, {}, b'{"error": {"message": "warming up"}}'), (503, {}, b"busy"), (200, {}, completion())])
    with _provider(scripted_server(script), max_retries=3) as llm:
        (gen,) = llm.generate(["hi"], SamplingParams(max_tokens=2))
    assert len(script.requests) == 3
    assert gen.text == "ok0" and gen.finish_reason == "length"
    assert gen.logprobs == [-0.5, -1.5] and gen.token_ids == [5, 7]


def test_retries_429_from_scripted_server(scripted_server) -> None:
    script = Script([(429, {"retry-after": "0"}, b'{"error": {"message": "slow down"}}'), (200, {}, completion())])
    with _provider(scripted_server(script)) as llm:
        assert llm.generate(["hi"])[0].text == "ok0"
    assert len(script.requests) == 2


def test_gives_up_after_bounded_retries_naming_the_url(scripted_server) -> None:
    script = Script([(500, {}, b'{"error": {"message": "engine died"}}')])
    url = scripted_server(script)
    with _provider(url, max_retries=2) as llm, pytest.raises(EndpointError) as info:
        llm.generate(["hi"])
    assert len(script.requests) == 3
    message = str(info.value)
    assert f"{url}/completions" in message and "3 attempts" in message and "engine died" in message


def test_endpoint_down_is_bounded_and_names_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}/v1"
    started = time.monotonic()
    with _provider(url, max_retries=2) as llm, pytest.raises(EndpointError, match=r"failed after 3 attempts.*ConnectError.*llmrl serve") as info:
        llm.generate(["hi"])
    assert url in str(info.value)
    assert time.monotonic() - started < 10


def test_other_4xx_fails_at_once_with_the_servers_message(scripted_server) -> None:
    script = Script([(400, {}, b'{"error": {"message": "temperature must be <= 2"}}')])
    with _provider(scripted_server(script)) as llm, pytest.raises(EndpointError, match=r"HTTP 400: temperature must be <= 2"):
        llm.generate(["hi"])
    assert len(script.requests) == 1


def test_non_json_body_is_quoted(scripted_server) -> None:
    script = Script([(200, {"content-type": "text/html"}, b"<html><body>Welcome to nginx!</body></html>")])
    with _provider(scripted_server(script)) as llm, pytest.raises(EndpointError, match=r"not JSON: '<html><body>Welcome to nginx"):
        llm.generate(["hi"])


def test_json_without_choices_is_quoted(scripted_server) -> None:
    script = Script([(200, {}, b'{"object": "surprise", "data": 1}')])
    with _provider(scripted_server(script)) as llm, pytest.raises(EndpointError, match=r"malformed JSON \(no 'choices' list\).*surprise"):
        llm.generate(["hi"])


def test_wrong_number_of_choices_points_at_split_n(scripted_server) -> None:
    script = Script([(200, {}, completion(n=1))])
    with _provider(scripted_server(script)) as llm, pytest.raises(EndpointError, match="split_n=True"):
        llm.generate(["hi"], SamplingParams(n=3))


def test_split_n_sends_n_requests_with_successive_seeds(scripted_server) -> None:
    script = Script([(200, {}, completion(n=1))])
    with _provider(scripted_server(script), split_n=True) as llm:
        gens = llm.generate(["a", "b"], SamplingParams(n=2, seed=10))
    assert len(gens) == 4
    assert sorted((r["prompt"], r["seed"], r["n"]) for r in script.requests) == [("a", 10, 1), ("a", 11, 1), ("b", 10, 1), ("b", 11, 1)]


def test_concurrency_is_bounded(scripted_server) -> None:
    script = Script([(200, {}, completion())], delay_s=0.15)
    with _provider(scripted_server(script), max_concurrency=2) as llm:
        gens = llm.generate([f"prompt {i}" for i in range(6)])
    assert len(gens) == 6 and script.max_in_flight == 2


def test_results_keep_prompt_order_whatever_the_finish_order(scripted_server) -> None:
    def slow_first(body: dict) -> Reply:
        time.sleep(0.2 if body["prompt"] == "first" else 0.0)
        return 200, {}, completion(text=body["prompt"])

    with _provider(scripted_server(Script([slow_first])), max_concurrency=4) as llm:
        gens = llm.generate(["first", "second", "third"])
    assert [g.text for g in gens] == ["first0", "second0", "third0"]


def test_request_fields_chat_route_and_api_key(scripted_server, monkeypatch) -> None:
    def chat(body: dict) -> Reply:
        reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop",
                              "stop_reason": "\n\n", "token_ids": [9, 8],
                              "logprobs": {"content": [{"token": "Hel", "logprob": -0.25}, {"token": "lo", "logprob": -0.5}]}}],
                 "prompt_token_ids": [1, 2, 3]}
        return 200, {}, json.dumps(reply).encode()

    monkeypatch.setenv("MY_KEY", "sk-test-123")
    script = Script([chat])
    with _provider(scripted_server(script), api_key_env="MY_KEY", return_token_ids=True) as llm:
        (gen,) = llm.generate([[{"role": "user", "content": "hi"}]],
                              SamplingParams(temperature=0.5, top_p=0.9, max_tokens=7, stop=("\n\n",), seed=3))
    body = script.requests[0]
    assert body == {"model": "m", "n": 1, "temperature": 0.5, "top_p": 0.9, "max_tokens": 7, "stop": ["\n\n"], "seed": 3,
                    "return_token_ids": True, "messages": [{"role": "user", "content": "hi"}], "logprobs": True}
    assert script.headers[0]["Authorization"] == "Bearer sk-test-123"
    assert (gen.text, gen.finish_reason, gen.stop_reason) == ("Hello", "stop", "\n\n")
    assert gen.token_ids == [9, 8] and gen.logprobs == [-0.25, -0.5] and gen.prompt_token_ids == [1, 2, 3]


def test_bad_config_names_the_field() -> None:
    with pytest.raises(ConfigError, match="max_concurrency"):
        get_provider("openai", max_concurrency=0)


def test_slow_scripted_server_times_out_and_is_retried(scripted_server) -> None:
    script = Script([(200, {}, completion())], delay_s=1.0)
    with _provider(scripted_server(script), timeout_s=0.2, max_retries=1) as llm:
        with pytest.raises(EndpointError, match=r"failed after 2 attempts; last error: ReadTimeout"):
            llm.generate(["hi"])
    assert len(script.requests) == 2
