"""`llmrl serve` as OpenAI clients use it: the official `openai` package against a real server on 127.0.0.1.

The server (conftest's ``served``) runs the embedded SmolLM2 through the transformers
provider, with a request log; every test keeps max_tokens small.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import openai
import pytest

MODEL = "smollm2-135m"
CHAT = [{"role": "user", "content": "Name three colours."}]


@pytest.fixture(scope="module")
def base_url(served: str) -> str:
    return served


@pytest.fixture(scope="module")
def request_log(serve_request_log: Path) -> Path:
    return serve_request_log


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=300) as c:
        yield c


def _log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_streamed_chat_equals_the_plain_answer(client: openai.OpenAI) -> None:
    plain = client.chat.completions.create(model=MODEL, messages=CHAT, max_tokens=8, temperature=0)
    stream = client.chat.completions.create(model=MODEL, messages=CHAT, max_tokens=8, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" and c.model == MODEL for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content) > 1, "the text came in one piece"
    assert "".join(content) == plain.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [plain.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage == plain.usage


def test_streamed_completions_several_prompts_n_logprobs(client: openai.OpenAI) -> None:
    """Two prompts x n=2, seeded: per choice index the pieces join to the plain answer; logprobs come along."""
    args = dict(model=MODEL, prompt=["The sky is", "Once upon a time"], n=2, max_tokens=4, temperature=0.9, seed=3,
                logprobs=1, extra_body={"return_token_ids": True})
    plain = client.completions.create(**args)
    texts: dict[int, str] = {}
    finals = {}
    for chunk in client.completions.create(**args, stream=True):
        assert chunk.object == "text_completion"
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + choice.text
            if choice.finish_reason:
                finals[choice.index] = choice
    assert sorted(texts) == [0, 1, 2, 3]
    for want in plain.choices:
        got = finals[want.index]
        assert texts[want.index] == want.text
        assert got.finish_reason == want.finish_reason
        assert got.logprobs.token_logprobs == pytest.approx(want.logprobs.token_logprobs, abs=1e-4)
        assert got.model_extra["token_ids"] == want.model_extra["token_ids"]


@pytest.mark.parametrize(("field", "value"), [
    ("tools", [{"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {}}}}]),
    ("response_format", {"type": "json_object"}),
    ("logit_bias", {"42": 10}),
])
def test_fields_not_honoured_are_a_400_naming_them(client: openai.OpenAI, field: str, value) -> None:
    with pytest.raises(openai.BadRequestError, match=f"{field} is not supported by llmrl serve") as caught:
        client.chat.completions.create(model=MODEL, messages=CHAT, max_tokens=2, **{field: value})
    assert caught.value.param == field


def test_bad_requests_get_4xx_with_the_reason(client: openai.OpenAI, base_url: str) -> None:
    with pytest.raises(openai.NotFoundError, match="'gpt-9' does not exist.*'smollm2-135m'"):
        client.chat.completions.create(model="gpt-9", messages=CHAT, max_tokens=2)
    with pytest.raises(openai.BadRequestError, match=r"max_tokens=1000000000 is more than this server allows \(8192"):
        client.completions.create(model=MODEL, prompt="hi", max_tokens=10**9)
    reply = httpx.post(f"{base_url}/chat/completions", content=b'{"messages": [', timeout=60,
                       headers={"content-type": "application/json"})
    assert reply.status_code == 400 and "not valid JSON" in reply.json()["error"]["message"]


def test_32_concurrent_clients_are_all_answered(client: openai.OpenAI, request_log: Path) -> None:
    answers: dict[int, str] = {}
    errors: list[BaseException] = []

    def ask(i: int) -> None:
        try:
            if i % 2:
                stream = client.completions.create(model=MODEL, prompt=f"{i} plus {i} is", max_tokens=2,
                                                   temperature=0, stream=True, user=f"client-{i}")
                answers[i] = "".join(c.choices[0].text for c in stream if c.choices)
            else:
                reply = client.completions.create(model=MODEL, prompt=f"{i} plus {i} is", max_tokens=2, temperature=0,
                                                  user=f"client-{i}")
                answers[i] = reply.choices[0].text
        except BaseException as exc:  # noqa: BLE001 - collected and reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors[:3]
    assert sorted(answers) == list(range(32)) and all(answers.values())
    logged = {e["request"]["user"]: e for e in _log_lines(request_log) if (e["request"] or {}).get("user")}
    assert {f"client-{i}" for i in range(32)} <= set(logged)
    assert all(logged[f"client-{i}"]["status"] == 200 for i in range(32))
    assert all(logged[f"client-{i}"]["choices"][0]["text"] == answers[i] for i in range(32))


def _raw_stream_request(base_url: str, body: dict) -> socket.socket:
    """Send a streaming request over a bare socket, so the test can hang up whenever it likes."""
    url = urlsplit(base_url)
    payload = json.dumps(body).encode()
    sock = socket.create_connection((url.hostname, url.port), timeout=300)
    sock.sendall(f"POST {url.path}/completions HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
    return sock


def test_a_client_leaving_mid_stream_does_not_disturb_the_others(client: openai.OpenAI, base_url: str,
                                                                  request_log: Path) -> None:
    """While one request holds the model: a client hangs up while waiting (skipped, 499), another after its
    first bytes; two more stream to the end and the holder's stream is whole."""
    body = {"model": MODEL, "prompt": "Here is a long story:", "max_tokens": 12, "temperature": 0, "stream": True}
    # The holder must still be generating when the next client hangs up: 2 x 64 tokens is seconds of work on a
    # CPU, well past the short wait for its request to be parsed (2 x 12 tokens could end within 1 s on an idle core).
    holder = _raw_stream_request(base_url, {**body, "n": 2, "max_tokens": 64, "user": "holds-the-model"})
    time.sleep(0.3)  # the holder's request is parsed and generating by now (milliseconds of work)
    _raw_stream_request(base_url, {**body, "user": "leaves-while-waiting"}).close()
    late = _raw_stream_request(base_url, {**body, "user": "leaves-mid-stream"})
    results: dict[str, str] = {}

    def finish(name: str) -> None:
        results[name] = "".join(c.choices[0].text for c in client.completions.create(
            model=MODEL, prompt="Here is a long story:", max_tokens=12, temperature=0, stream=True) if c.choices)

    others = [threading.Thread(target=finish, args=(f"other-{i}",)) for i in range(2)]
    for t in others:
        t.start()
    first = late.recv(4096)
    assert first.startswith(b"HTTP/1.1 200") and b"text/event-stream" in first
    late.close()
    received = b""
    while not received.endswith(b"\r\n0\r\n\r\n") and (more := holder.recv(65536)):  # the chunked body's end
        received += more
    holder.close()
    for t in others:
        t.join(600)
    plain = client.completions.create(model=MODEL, prompt="Here is a long story:", max_tokens=12, temperature=0)
    assert results == {"other-0": plain.choices[0].text, "other-1": plain.choices[0].text}
    assert received.count(b'"finish_reason": "') == 2 and b"data: [DONE]" in received  # both choices ended
    logged = {e["request"]["user"]: e for e in _log_lines(request_log) if (e["request"] or {}).get("user")}
    assert logged["leaves-while-waiting"]["status"] == 499 and logged["leaves-while-waiting"]["choices"] is None
    assert logged["holds-the-model"]["status"] == 200 and logged["holds-the-model"]["disconnected"] is False
    assert httpx.get(base_url.removesuffix("/v1") + "/health", timeout=30).json()["status"] == "ok"
