"""The openai provider's configuration (pydantic only: imported when plugins are listed)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OpenAIConfig(BaseModel):
    """Where the endpoint is and how hard to try it."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("http://127.0.0.1:8000/v1", description="The endpoint's base URL, ending in /v1.")
    model: str | None = Field(None, description="The model name to request; None asks /v1/models and takes the first.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the API key; unset sends none.")
    max_concurrency: int = Field(8, ge=1, description="At most this many requests in flight at once.")
    timeout_s: float = Field(120.0, gt=0, description="Timeout of one HTTP request, in seconds.")
    max_retries: int = Field(4, ge=0, description="Retries on 429, 5xx and connection errors (exponential backoff).")
    backoff_s: float = Field(0.5, ge=0, description="First backoff; doubles each retry (with jitter), capped by backoff_max_s.")
    backoff_max_s: float = Field(8.0, ge=0, description="Longest wait between two tries.")
    logprobs: bool = Field(True, description="Ask for per-token logprobs (servers that cannot give them just omit them).")
    return_token_ids: bool = Field(
        False, description="Ask for token ids (vLLM's and `llmrl serve`'s `return_token_ids`); OpenAI itself rejects it."
    )
    split_n: bool = Field(False, description="Send n requests of n=1 instead of one with n (for servers without `n`).")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="Extra JSON fields merged into every request.")
