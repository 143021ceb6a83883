"""llmrl-serve's wire format and CLI wiring, without a model (the served model is tested in integration_tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from llmrl_core import Generation
from llmrl_serve.protocol import ChatRequest, CompletionRequest, chat_response, completion_response


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


@pytest.mark.parametrize(("request_body", "needle"), [
    ({"prompt": "x", "stream": True}, "stream=true is not supported"),
    ({"prompt": "x", "echo": True}, "echo=true is not supported"),
    ({"prompt": "x", "logprobs": 3}, "logprobs > 1"),
    ({"prompt": "x", "presence_penalty": 0.5}, "presence_penalty is not supported"),
])
def test_unsupported_fields_are_named(request_body: dict, needle: str) -> None:
    assert needle in CompletionRequest.model_validate(request_body).unsupported()


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
