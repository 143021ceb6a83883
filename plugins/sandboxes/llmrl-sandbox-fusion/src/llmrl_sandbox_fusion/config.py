"""The fusion client's settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ENDPOINT_ENV = "SANDBOX_FUSION_ENDPOINT"


class FusionSandboxConfig(BaseModel):
    """Settings of ``get_sandbox("fusion", ...)``."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str | None = Field(None, description=f"Base URL, e.g. http://10.0.0.5:8080 (None: ${ENDPOINT_ENV}, "
                                 "else http://127.0.0.1:8080).")
    max_concurrency: int = Field(16, ge=1, description="Requests in flight at once (run_many and threads).")
    retries: int = Field(2, ge=0, description="Extra attempts after a connection error, a timeout or an HTTP 5xx.")
    retry_backoff_s: float = Field(0.5, ge=0, description="Wait before retry k: backoff * 2**k seconds.")
    request_slack_s: float = Field(10.0, gt=0, description="HTTP timeout = the code's timeout + this.")
    send_memory_limit: bool | None = Field(
        None, description="Send memory_limit_MB. None: only to an `llmrl sandbox serve` server (recognised by its "
        "Server header); the public Fusion server's memory limit also caps the stack and breaks numpy's threads.")
