"""How ``llmrl serve`` answers: defaults, limits and the request log (pydantic only: light to import)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

FALLBACK_MAX_TOKENS_LIMIT = 32768


class ServeConfig(BaseModel):
    """The server's own settings; the provider's are its own config (``--model``, ``-o key=value``)."""

    model_config = ConfigDict(extra="forbid")

    default_max_tokens: int = Field(256, ge=1, description="max_tokens for a chat request that gives none "
                                    "(completions requests default to 16, as OpenAI's do).")
    max_tokens_limit: int | None = Field(
        None, ge=1, description="The largest max_tokens a request may ask for (larger is a 400). None: the "
        f"provider's context_length when it has one, else {FALLBACK_MAX_TOKENS_LIMIT}.")
    request_log: Path | None = Field(
        None, description="Append one JSON line per request to this file: the request body, status, duration, "
        "and the completions (text, finish reason) or the error. None: no log.")
