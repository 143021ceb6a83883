"""An :class:`LLMProvider` over any OpenAI-compatible endpoint.

Plain-text prompts go to ``/completions``, chat conversations to ``/chat/completions``;
one request per prompt (with ``n``), at most ``max_concurrency`` in flight. Logprobs
are read where the server gives them; token ids where it supports vLLM's
``return_token_ids`` (as ``llmrl serve`` does) or its ``token_id:N`` token strings.
The stop string that ended a completion is known only from servers that report it
(vLLM's and ``llmrl serve``'s ``stop_reason``); OpenAI itself says only ``"stop"``.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from llmrl_core import Generation, LLMProvider, Prompt, SamplingParams, refuse_grammar
from llmrl_provider_openai.config import OpenAIConfig
from llmrl_provider_openai.http import EndpointError, JsonPoster, excerpt

log = logging.getLogger(__name__)


class OpenAIProvider(LLMProvider):
    """Generations from an OpenAI-compatible server, configured by a validated :class:`OpenAIConfig`
    (``get_provider("openai", base_url=...)``)."""

    name = "openai"

    def __init__(self, config: OpenAIConfig):
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.logprobs, self.return_token_ids, self.split_n = config.logprobs, config.return_token_ids, config.split_n
        self.extra_body = dict(config.extra_body)
        self.max_concurrency = config.max_concurrency
        self._http = JsonPoster(self.base_url, api_key=os.environ.get(config.api_key_env) or None,
                                timeout_s=config.timeout_s, max_retries=config.max_retries, backoff_s=config.backoff_s,
                                backoff_max_s=config.backoff_max_s, max_connections=config.max_concurrency)
        self._pool = ThreadPoolExecutor(config.max_concurrency, thread_name_prefix="llmrl-openai")
        self._model = config.model

    @property
    def model(self) -> str:
        """The model requested; asked of ``/models`` once when the config named none."""
        if self._model is None:
            listing = self._http.request("GET", "models")
            data = listing.get("data") if isinstance(listing, dict) else None
            if not data or not isinstance(data[0], dict) or "id" not in data[0]:
                raise EndpointError(f"{self.base_url}/models listed no model: {excerpt(str(listing))}. "
                                    "Pass model=... explicitly.", url=f"{self.base_url}/models")
            self._model = str(data[0]["id"])
        return self._model

    def models(self) -> list[str]:
        """The model names the server offers."""
        listing = self._http.request("GET", "models")
        return [str(m.get("id")) for m in listing.get("data", []) if isinstance(m, dict)]

    # -- requests -----------------------------------------------------------------------
    def _body(self, prompt: Prompt, params: SamplingParams, n: int, seed: int | None) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": self.model, "n": n, "temperature": params.temperature, "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        if params.stop:
            body["stop"] = list(params.stop)
        if seed is not None:
            body["seed"] = seed
        if self.return_token_ids:
            body["return_token_ids"] = True
        if isinstance(prompt, str):
            path = "completions"
            body["prompt"] = prompt
            if self.logprobs:
                body["logprobs"] = 1
        else:
            path = "chat/completions"
            body["messages"] = [dict(m) for m in prompt]
            if self.logprobs:
                body["logprobs"] = True
        body.update(self.extra_body)
        return path, body

    def _one(self, prompt: Prompt, params: SamplingParams, n: int, seed: int | None) -> list[Generation]:
        path, body = self._body(prompt, params, n, seed)
        response = self._http.request("POST", path, body)
        return _parse(response, n=n, chat=not isinstance(prompt, str), url=f"{self.base_url}/{path}")

    def generate(self, prompts: list[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        params = params or SamplingParams()
        refuse_grammar(self, params)  # no grammar-constrained decoding here: refuse, never sample freely
        jobs: list[tuple[Prompt, int, int | None]] = []
        for prompt in prompts:
            if self.split_n:
                jobs += [(prompt, 1, None if params.seed is None else params.seed + i) for i in range(params.n)]
            else:
                jobs.append((prompt, params.n, params.seed))
        if not jobs:
            return []
        if self._model is None:
            _ = self.model  # resolve once, before the threads race for it
        futures = [self._pool.submit(self._one, prompt, params, n, seed) for prompt, n, seed in jobs]
        return [gen for future in futures for gen in future.result()]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()


# -- responses -----------------------------------------------------------------------------
def _parse(response: Any, *, n: int, chat: bool, url: str) -> list[Generation]:
    """Turn one response into ``n`` generations, or say exactly what is malformed."""

    def bad(why: str) -> EndpointError:
        return EndpointError(f"{url} returned malformed JSON ({why}): {excerpt(str(response))}", url=url)

    choices = response.get("choices") if isinstance(response, dict) else None
    if not isinstance(choices, list):
        raise bad("no 'choices' list")
    if len(choices) != n:
        raise bad(f"asked for n={n} choices, got {len(choices)}; set split_n=True for servers without `n`")
    try:
        choices = sorted(choices, key=lambda c: int(c.get("index", 0)))
    except (TypeError, ValueError, AttributeError):
        raise bad("a choice without a numeric 'index'") from None
    prompt_ids = response.get("prompt_token_ids")
    gens = []
    for choice in choices:
        if chat:
            message = choice.get("message")
            text = message.get("content") if isinstance(message, dict) else None
        else:
            text = choice.get("text")
        if not isinstance(text, str):
            raise bad("a choice without text" if not chat else "a choice without message.content")
        finish = choice.get("finish_reason")
        stop_reason = choice.get("stop_reason")
        try:
            logprobs, token_ids = _logprobs(choice.get("logprobs"), chat)
            if isinstance(choice.get("token_ids"), list):
                token_ids = [int(t) for t in choice["token_ids"]]
        except (TypeError, ValueError, AttributeError):
            raise bad("token ids or logprobs that are not numbers") from None
        gens.append(Generation(
            text=text,
            finish_reason="length" if finish == "length" else "stop",
            stop_reason=stop_reason if isinstance(stop_reason, str) else None,
            token_ids=token_ids,
            logprobs=logprobs,
            prompt_token_ids=choice.get("prompt_token_ids") or prompt_ids,
            metadata={"finish_reason": finish, "model": response.get("model")},
        ))
    return gens


def _logprobs(block: Any, chat: bool) -> tuple[list[float] | None, list[int] | None]:
    """Logprobs (and token ids, when tokens are spelt ``token_id:N``) from either API's format."""
    if not isinstance(block, dict):
        return None, None
    if chat:
        entries = block.get("content") or []
        values = [e.get("logprob") for e in entries if isinstance(e, dict)]
        tokens = [e.get("token") for e in entries if isinstance(e, dict)]
    else:
        values, tokens = block.get("token_logprobs") or [], block.get("tokens") or []
    if not values or any(not isinstance(v, int | float) for v in values):
        return None, None
    ids = None
    if tokens and all(isinstance(t, str) and t.startswith("token_id:") for t in tokens):
        ids = [int(t.removeprefix("token_id:")) for t in tokens]
    return [float(v) for v in values], ids
