"""The OpenAI wire format, server side: request models and response builders.

Beyond OpenAI's fields it speaks two of vLLM's extensions, so clients written for
vLLM get them here too: ``return_token_ids`` (token ids of prompt and completion)
and ``stop_reason`` (the stop string that ended a choice). Logprob tokens are
spelt ``token_id:N`` (vLLM's ``return_tokens_as_token_ids`` convention): the
server knows ids, not the provider's token strings.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_core import Generation, SamplingParams


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str | None = None
    n: int = Field(1, ge=1, le=256)
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool = False
    return_token_ids: bool = False

    def unsupported(self) -> str | None:
        """The first request field this server cannot honour, as an error message."""
        if self.stream:
            return "stream=true is not supported by llmrl serve; send stream=false"
        for name in ("presence_penalty", "frequency_penalty"):
            if (self.model_extra or {}).get(name) not in (None, 0, 0.0):
                return f"{name} is not supported by llmrl serve; leave it 0"
        return None

    def sampling(self, max_tokens: int) -> SamplingParams:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return SamplingParams(n=self.n, temperature=self.temperature, top_p=self.top_p, max_tokens=max_tokens,
                              stop=stop, seed=self.seed)


class CompletionRequest(_Request):
    prompt: str | list[str]
    max_tokens: int | None = Field(16, ge=1)
    logprobs: int | None = Field(None, ge=0, le=5)
    echo: bool = False

    def unsupported(self) -> str | None:
        if self.echo:
            return "echo=true is not supported by llmrl serve"
        if self.logprobs:
            if self.logprobs > 1:
                return "logprobs > 1 (top alternatives) is not supported by llmrl serve; send logprobs=1 or 0"
        return super().unsupported()


class ChatMessageModel(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str


class ChatRequest(_Request):
    messages: list[ChatMessageModel] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)

    def unsupported(self) -> str | None:
        if self.top_logprobs:
            return "top_logprobs > 0 is not supported by llmrl serve; send 0 or leave it out"
        return super().unsupported()


def _usage(gens: list[Generation], prompt_counts: list[int]) -> dict[str, int]:
    completion = sum(len(g.token_ids or ()) for g in gens)
    prompt = sum(prompt_counts)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _base(kind: str, model: str) -> dict[str, Any]:
    return {"id": f"{kind}-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": model}


def completion_response(model: str, gens: list[Generation], n: int, with_logprobs: bool, with_ids: bool) -> dict:
    """``/v1/completions``: choice ``i`` is sample ``i % n`` of prompt ``i // n`` (OpenAI's order)."""
    choices = []
    for index, gen in enumerate(gens):
        choice: dict[str, Any] = {
            "index": index, "text": gen.text, "finish_reason": gen.finish_reason, "stop_reason": gen.stop_reason,
            "logprobs": None,
        }
        if with_logprobs and gen.logprobs is not None and gen.token_ids is not None:
            choice["logprobs"] = {
                "tokens": [f"token_id:{t}" for t in gen.token_ids], "token_logprobs": list(gen.logprobs),
                "top_logprobs": None, "text_offset": None,
            }
        if with_ids:
            choice["token_ids"] = gen.token_ids
            choice["prompt_token_ids"] = gen.prompt_token_ids
        choices.append(choice)
    counts = [len(gens[i].prompt_token_ids or ()) for i in range(0, len(gens), n)]
    return {**_base("cmpl", model), "object": "text_completion", "choices": choices, "usage": _usage(gens, counts)}


def chat_response(model: str, gens: list[Generation], with_logprobs: bool, with_ids: bool) -> dict:
    """``/v1/chat/completions`` for one conversation and its ``n`` samples."""
    choices = []
    for index, gen in enumerate(gens):
        choice: dict[str, Any] = {
            "index": index, "message": {"role": "assistant", "content": gen.text},
            "finish_reason": gen.finish_reason, "stop_reason": gen.stop_reason, "logprobs": None,
        }
        if with_logprobs and gen.logprobs is not None and gen.token_ids is not None:
            choice["logprobs"] = {"content": [
                {"token": f"token_id:{t}", "logprob": lp, "bytes": None, "top_logprobs": []}
                for t, lp in zip(gen.token_ids, gen.logprobs, strict=True)
            ]}
        if with_ids:
            choice["token_ids"] = gen.token_ids
        choices.append(choice)
    body = {**_base("chatcmpl", model), "object": "chat.completion", "choices": choices,
            "usage": _usage(gens, [len(gens[0].prompt_token_ids or ())] if gens else [])}
    if with_ids and gens:
        body["prompt_token_ids"] = gens[0].prompt_token_ids
    return body


def error_body(message: str, *, type: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict:
    """OpenAI's error shape, which every OpenAI client knows how to show."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
