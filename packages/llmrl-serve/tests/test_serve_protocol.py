"""llmrl-serve's wire format and CLI wiring, without a model (the served model is tested in integration_tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from llmrl_core import Generation
from llmrl_serve.protocol import (
    ChatRequest,
    CompletionRequest,
    chat_chunks,
    chat_response,
    completion_chunks,
    completion_response,
    text_pieces,
)


def _gen(text: str, ids: list[int], prompt: list[int], stop: str | None = None) -> Generation:
    return Generation(text, "stop" if stop else "length", stop, ids, [-0.5] * len(ids), prompt)


def test_completion_choices_follow_openai_order_with_ids_logprobs_and_usage() -> None:
    gens = [_gen("a", [1], [7, 7]), _gen("b", [2, 3], [7, 7]), _gen("c", [4], [8], stop="\n")]
    body = completion_response("m", gens, n=1, with_logprobs=True, with_ids=True)
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    assert body["choices"][2]["stop_reason"] == "\n" and body["choices"][2]["finish_reason"] == "stop"
    assert body["choices"][1]["logprobs"]["tokens"] == ["token_id:2", "token_id:3"]
    assert body["choices"][1]["token_ids"] == [2, 3]
    assert body["usage"] == {"prompt_tokens": 2 + 2 + 1, "completion_tokens": 4, "total_tokens": 9}


def test_chat_response_shape_without_extras() -> None:
    body = chat_response("m", [_gen("hi", [5], [1, 2])], with_logprobs=False, with_ids=False)
    (choice,) = body["choices"]
    assert choice["message"] == {"role": "assistant", "content": "hi"} and choice["logprobs"] is None
    assert "token_ids" not in choice and "prompt_token_ids" not in body
    assert body["object"] == "chat.completion"


@pytest.mark.parametrize(("request_body", "field", "needle"), [
    ({"prompt": "x", "echo": True}, "echo", "echo=true is not supported"),
    ({"prompt": "x", "logprobs": 3}, "logprobs", "logprobs > 1"),
    ({"prompt": "x", "presence_penalty": 0.5}, "presence_penalty", "presence_penalty is not supported"),
    ({"prompt": "x", "suffix": "!"}, "suffix", "suffix is not supported by llmrl serve"),
    ({"prompt": "x", "best_of": 3}, "best_of", "best_of is not supported"),
    ({"prompt": "x", "stream_options": {"include_usage": True}}, "stream_options", "only allowed with stream=true"),
])
def test_unsupported_fields_are_named(request_body: dict, field: str, needle: str) -> None:
    got_field, message = CompletionRequest.model_validate(request_body).unsupported()
    assert got_field == field and needle in message


@pytest.mark.parametrize("field", ["tools", "tool_choice", "response_format", "logit_bias", "parallel_tool_calls"])
def test_chat_fields_not_honoured_are_refused_not_ignored(field: str) -> None:
    body = {"messages": [{"role": "user", "content": "q"}], field: {"anything": 1}}
    got_field, message = ChatRequest.model_validate(body).unsupported()
    assert got_field == field and "refused rather than ignored" in message


def test_explicit_nothing_and_honoured_fields_pass() -> None:
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}], "tools": None,
            "logit_bias": {}, "presence_penalty": 0, "stream": True, "stream_options": {"include_usage": True},
            "user": "u1", "seed": 3, "n": 2, "top_logprobs": 0}
    req = ChatRequest.model_validate(body)
    assert req.unsupported() is None
    assert req.prompts() == [[{"role": "user", "content": "q"}]] and req.include_usage


def test_chat_messages_refuse_what_providers_cannot_take() -> None:
    with pytest.raises(ValidationError, match="image_url"):
        ChatRequest.model_validate({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})
    with pytest.raises(ValidationError, match="tool_calls"):
        ChatRequest.model_validate({"messages": [{"role": "assistant", "content": "", "tool_calls": []}]})


@pytest.mark.parametrize("text", ["", " Paris.", "one two  three\n\nfour ", "\n", "x"])
def test_text_pieces_join_to_the_text(text: str) -> None:
    pieces = text_pieces(text)
    assert "".join(pieces) == text and all(pieces)


def test_chat_chunks_stream_each_choice_then_usage() -> None:
    gens = [_gen("red and blue", [5, 6, 7], [1, 2]), _gen("", [2], [1, 2], stop="\n")]
    chunks = list(chat_chunks("m", gens, with_logprobs=True, with_ids=False, include_usage=True))
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    first = [c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["index"] == 0]
    assert first[0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["delta"].get("content", "") for c in first) == "red and blue"
    assert [c["finish_reason"] for c in first] == [None, None, None, None, "length"]
    assert [lp["token"] for lp in first[-1]["logprobs"]["content"]] == ["token_id:5", "token_id:6", "token_id:7"]
    second = [c["choices"][0] for c in chunks if c["choices"] and c["choices"][0]["index"] == 1]
    assert [c["finish_reason"] for c in second] == [None, "stop"] and second[-1]["stop_reason"] == "\n"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {"prompt_tokens": 2, "completion_tokens": 4,
                                                                    "total_tokens": 6}


def test_completion_chunks_carry_ids_when_asked_and_no_usage_unless_asked() -> None:
    gens = [_gen("a b", [1, 2], [7]), _gen("c", [3], [8])]
    chunks = list(completion_chunks("m", gens, n=1, with_logprobs=False, with_ids=True, include_usage=False))
    assert all(c["object"] == "text_completion" and len(c["choices"]) == 1 for c in chunks)
    finals = [c["choices"][0] for c in chunks if c["choices"][0]["finish_reason"]]
    assert [(f["index"], f["token_ids"], f["prompt_token_ids"], f["logprobs"]) for f in finals] == [
        (0, [1, 2], [7], None), (1, [3], [8], None)]
    assert "".join(c["choices"][0]["text"] for c in chunks if c["choices"][0]["index"] == 0) == "a b"


def test_invalid_fields_fail_validation() -> None:
    with pytest.raises(ValidationError, match="temperature"):
        CompletionRequest.model_validate({"prompt": "x", "temperature": -1})
    with pytest.raises(ValidationError, match="messages"):
        ChatRequest.model_validate({"messages": []})
    assert ChatRequest.model_validate({"messages": [{"role": "user", "content": "q"}], "stop": "\n"}).sampling(5).stop == ("\n",)


def test_cli_registers_serve_and_generate_without_heavy_imports() -> None:
    code = (
        "import sys; from llmrl_core.cli.main import build_app; import typer; "
        "cmd = typer.main.get_command(build_app()); "
        "print(sorted(cmd.commands)); "
        "print([m for m in ('torch', 'transformers', 'starlette', 'uvicorn', 'httpx') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    commands, heavy = out.strip().splitlines()[-2:]
    assert "'generate'" in commands and "'serve'" in commands
    assert heavy == "[]"
