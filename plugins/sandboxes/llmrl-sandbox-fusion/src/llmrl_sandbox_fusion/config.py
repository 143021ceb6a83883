"""The fusion client's settings, validated once by the registry (``get_sandbox("fusion", ...)``)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENDPOINT_ENV = "SANDBOX_FUSION_ENDPOINT"
DEFAULT_ENDPOINT = "http://127.0.0.1:8080"


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL; give e.g. http://10.0.0.5:8080")
    return url.strip().rstrip("/")


def endpoints_from_env() -> list[str]:
    """The endpoints in ``$SANDBOX_FUSION_ENDPOINT``: one URL, or several separated by commas or spaces."""
    return [u for u in re.split(r"[,\s]+", os.environ.get(ENDPOINT_ENV, "")) if u]


class FusionSandboxConfig(BaseModel):
    """Settings of ``get_sandbox("fusion", ...)``."""

    model_config = ConfigDict(extra="forbid")

    endpoints: list[str] = Field(
        default_factory=list, description=f"Base URLs of the replicas, e.g. [http://a:8080, http://b:8080]; "
        f"executions are spread over them and fail over between them (empty: endpoint, else ${ENDPOINT_ENV} — one "
        f"URL or several separated by commas — else {DEFAULT_ENDPOINT}).")
    endpoint: str | None = Field(None, description="One base URL: shorthand for endpoints=[URL].")
    max_concurrency: int = Field(16, ge=1, description="Requests in flight at once over all endpoints "
                                 "(run_many's threads, and callers' own threads).")
    max_concurrency_per_endpoint: int | None = Field(
        None, ge=1, description="Requests in flight at once to one endpoint (None: max_concurrency). Set it to a "
        "replica's worker count so that requests do not queue inside a replica past their HTTP timeout.")
    retries: int = Field(2, ge=0, description="Extra sends of an execution whose request provably did not run to "
                         "an answer: the connection failed, broke before any answer, or the server answered 503/429. "
                         "A timeout after sending and any other answer are never re-sent.")
    retry_backoff_s: float = Field(0.5, ge=0, description="Wait before re-send k when no other endpoint is up: "
                                   "backoff * 2**k seconds.")
    endpoint_cooldown_s: float = Field(5.0, ge=0, description="An endpoint that failed a connection or declined "
                                       "(503/429) gets no new requests for this long while another is up.")
    request_slack_s: float = Field(10.0, gt=0, description="HTTP timeout = the code's timeout + this.")
    send_memory_limit: bool | None = Field(
        None, description="Send memory_limit_MB. None: only to an `llmrl sandbox serve` server (recognised by its "
        "Server header); the public Fusion server's memory limit also caps the stack and breaks numpy's threads.")

    @field_validator("endpoints")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        checked = [_check_url(u) for u in urls]
        if len(set(checked)) != len(checked):
            raise ValueError(f"an endpoint is listed twice: {checked}")
        return checked

    @field_validator("endpoint")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return None if url is None else _check_url(url)

    @model_validator(mode="after")
    def _one_list(self) -> FusionSandboxConfig:
        """Resolve ``endpoint`` and the environment into ``endpoints``, so the client reads one field."""
        if self.endpoint is not None and self.endpoints:
            raise ValueError("give endpoints=[...] or endpoint=URL, not both")
        if not self.endpoints:
            if self.endpoint is not None:
                self.endpoints = [self.endpoint]
            else:
                try:
                    self.endpoints = self._urls(endpoints_from_env() or [DEFAULT_ENDPOINT])
                except ValueError as exc:
                    raise ValueError(f"${ENDPOINT_ENV}: {exc}") from None
        return self
