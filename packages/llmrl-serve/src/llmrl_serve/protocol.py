"""The OpenAI wire format, server side: request models, response bodies and stream chunks.

Beyond OpenAI's fields it speaks two of vLLM's extensions, so clients written for
vLLM get them here too: ``return_token_ids`` (token ids of prompt and completion)
and ``stop_reason`` (the stop string that ended a choice). Logprob tokens are
spelt ``token_id:N`` (vLLM's ``return_tokens_as_token_ids`` convention): the
server knows ids, not the provider's token strings.

A request field the server would not honour is refused by name, never ignored:
an agent that sends ``tools`` must learn that no tool will be called.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_core import Generation, Prompt, SamplingParams

_HONOURED = "model, n, temperature, top_p, max_tokens, stop, seed, logprobs, stream, stream_options, user"


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_usage: bool = False


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str | None = None
    n: int = Field(1, ge=1, le=256)
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None  # an end-user id: only written to the request log
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    return_token_ids: bool = False

    def unsupported(self) -> tuple[str, str] | None:
        """The first request field this server cannot honour: ``(field, message)``."""
        for name, value in (self.model_extra or {}).items():
            if value not in (None, [], {}):  # an explicit "nothing" asks for nothing
                return name, (f"{name} is not supported by llmrl serve, and it is refused rather than ignored; "
                              f"remove it. Fields honoured here: {_HONOURED}.")
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(self, name):
                return name, f"{name} is not supported by llmrl serve; leave it 0"
        if self.stream_options is not None and not self.stream:
            return "stream_options", "stream_options is only allowed with stream=true"
        return None

    def sampling(self, max_tokens: int) -> SamplingParams:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return SamplingParams(n=self.n, temperature=self.temperature, top_p=self.top_p, max_tokens=max_tokens,
                              stop=stop, seed=self.seed)

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class CompletionRequest(_Request):
    prompt: str | list[str]
    max_tokens: int | None = Field(16, ge=1)
    logprobs: int | None = Field(None, ge=0, le=5)
    echo: bool = False
    best_of: int | None = None

    def unsupported(self) -> tuple[str, str] | None:
        if self.echo:
            return "echo", "echo=true is not supported by llmrl serve"
        if self.logprobs and self.logprobs > 1:
            return "logprobs", "logprobs > 1 (top alternatives) is not supported by llmrl serve; send logprobs=1 or 0"
        if self.best_of not in (None, 1, self.n):
            return "best_of", "best_of is not supported by llmrl serve; leave it out (every sample is returned)"
        return super().unsupported()

    def prompts(self) -> list[Prompt]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)

    def requested_max_tokens(self, default: int) -> int:
        return self.max_tokens or 16

    def response(self, model: str, gens: list[Generation]) -> dict:
        return completion_response(model, gens, self.n, self.logprobs is not None, self.return_token_ids)

    def chunks(self, model: str, gens: list[Generation]) -> Iterator[dict]:
        return completion_chunks(model, gens, self.n, self.logprobs is not None, self.return_token_ids,
                                 self.include_usage)


class TextPart(BaseModel):
    """A text content part; image, audio and file parts are refused (the providers take text)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str


class ChatMessageModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant", "developer"]
    content: str | list[TextPart]

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(part.text for part in self.content)


class ChatRequest(_Request):
    messages: list[ChatMessageModel] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)

    def unsupported(self) -> tuple[str, str] | None:
        if self.top_logprobs:
            return "top_logprobs", "top_logprobs > 0 is not supported by llmrl serve; send 0 or leave it out"
        return super().unsupported()

    def prompts(self) -> list[Prompt]:
        return [[{"role": m.role, "content": m.text()} for m in self.messages]]

    def requested_max_tokens(self, default: int) -> int:
        return self.max_completion_tokens or self.max_tokens or default

    def response(self, model: str, gens: list[Generation]) -> dict:
        return chat_response(model, gens, self.logprobs, self.return_token_ids)

    def chunks(self, model: str, gens: list[Generation]) -> Iterator[dict]:
        return chat_chunks(model, gens, self.logprobs, self.return_token_ids, self.include_usage)


def _usage(gens: list[Generation], prompt_counts: list[int]) -> dict[str, int]:
    completion = sum(len(g.token_ids or ()) for g in gens)
    prompt = sum(prompt_counts)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion_usage(gens: list[Generation], n: int) -> dict[str, int]:
    return _usage(gens, [len(gens[i].prompt_token_ids or ()) for i in range(0, len(gens), n)])


def _chat_usage(gens: list[Generation]) -> dict[str, int]:
    return _usage(gens, [len(gens[0].prompt_token_ids or ())] if gens else [])


def _base(kind: str, model: str) -> dict[str, Any]:
    return {"id": f"{kind}-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": model}


def _completion_logprobs(gen: Generation, wanted: bool) -> dict | None:
    if not wanted or gen.logprobs is None or gen.token_ids is None:
        return None
    return {"tokens": [f"token_id:{t}" for t in gen.token_ids], "token_logprobs": list(gen.logprobs),
            "top_logprobs": None, "text_offset": None}


def _chat_logprobs(gen: Generation, wanted: bool) -> dict | None:
    if not wanted or gen.logprobs is None or gen.token_ids is None:
        return None
    return {"content": [{"token": f"token_id:{t}", "logprob": lp, "bytes": None, "top_logprobs": []}
                        for t, lp in zip(gen.token_ids, gen.logprobs, strict=True)]}


def completion_response(model: str, gens: list[Generation], n: int, with_logprobs: bool, with_ids: bool) -> dict:
    """``/v1/completions``: choice ``i`` is sample ``i % n`` of prompt ``i // n`` (OpenAI's order)."""
    choices = []
    for index, gen in enumerate(gens):
        choice: dict[str, Any] = {
            "index": index, "text": gen.text, "finish_reason": gen.finish_reason, "stop_reason": gen.stop_reason,
            "logprobs": _completion_logprobs(gen, with_logprobs),
        }
        if with_ids:
            choice["token_ids"] = gen.token_ids
            choice["prompt_token_ids"] = gen.prompt_token_ids
        choices.append(choice)
    return {**_base("cmpl", model), "object": "text_completion", "choices": choices, "usage": _completion_usage(gens, n)}


def chat_response(model: str, gens: list[Generation], with_logprobs: bool, with_ids: bool) -> dict:
    """``/v1/chat/completions`` for one conversation and its ``n`` samples."""
    choices = []
    for index, gen in enumerate(gens):
        choice: dict[str, Any] = {
            "index": index, "message": {"role": "assistant", "content": gen.text},
            "finish_reason": gen.finish_reason, "stop_reason": gen.stop_reason,
            "logprobs": _chat_logprobs(gen, with_logprobs),
        }
        if with_ids:
            choice["token_ids"] = gen.token_ids
        choices.append(choice)
    body = {**_base("chatcmpl", model), "object": "chat.completion", "choices": choices, "usage": _chat_usage(gens)}
    if with_ids and gens:
        body["prompt_token_ids"] = gens[0].prompt_token_ids
    return body


def text_pieces(text: str) -> list[str]:
    """``text`` cut after each run of whitespace (words with their trailing space); joined, they are ``text``.

    Providers return whole completions, so a stream sends the finished text in these
    pieces: they are not the tokens as sampled (see docs/llmrl-serve.md).
    """
    return [piece for piece in re.findall(r"\S*\s*", text) if piece]


def completion_chunks(model: str, gens: list[Generation], n: int, with_logprobs: bool, with_ids: bool,
                      include_usage: bool) -> Iterator[dict]:
    """``/v1/completions`` with ``stream=true``: each choice's text in pieces, then its finish (with logprobs)."""
    base = {**_base("cmpl", model), "object": "text_completion"}
    for index, gen in enumerate(gens):
        for piece in text_pieces(gen.text):
            yield {**base, "choices": [{"index": index, "text": piece, "logprobs": None, "finish_reason": None}]}
        final: dict[str, Any] = {"index": index, "text": "", "logprobs": _completion_logprobs(gen, with_logprobs),
                                 "finish_reason": gen.finish_reason, "stop_reason": gen.stop_reason}
        if with_ids:
            final["token_ids"] = gen.token_ids
            final["prompt_token_ids"] = gen.prompt_token_ids
        yield {**base, "choices": [final]}
    if include_usage:
        yield {**base, "choices": [], "usage": _completion_usage(gens, n)}


def chat_chunks(model: str, gens: list[Generation], with_logprobs: bool, with_ids: bool,
                include_usage: bool) -> Iterator[dict]:
    """``/v1/chat/completions`` with ``stream=true``: per choice a role delta, content deltas, then the finish."""
    base = {**_base("chatcmpl", model), "object": "chat.completion.chunk"}
    for index, gen in enumerate(gens):
        yield {**base, "choices": [{"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                                    "finish_reason": None}]}
        for piece in text_pieces(gen.text):
            yield {**base, "choices": [{"index": index, "delta": {"content": piece}, "logprobs": None,
                                        "finish_reason": None}]}
        final: dict[str, Any] = {"index": index, "delta": {}, "logprobs": _chat_logprobs(gen, with_logprobs),
                                 "finish_reason": gen.finish_reason, "stop_reason": gen.stop_reason}
        if with_ids:
            final["token_ids"] = gen.token_ids
        yield {**base, "choices": [final]}
    if include_usage:
        yield {**base, "choices": [], "usage": _chat_usage(gens)}


def error_body(message: str, *, type: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict:
    """OpenAI's error shape, which every OpenAI client knows how to show."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
