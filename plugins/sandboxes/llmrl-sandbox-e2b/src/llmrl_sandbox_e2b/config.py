"""The e2b sandbox's settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class E2BSandboxConfig(BaseModel):
    """Settings of ``get_sandbox("e2b", ...)``; the API key and domain default to ``E2B_API_KEY`` / ``E2B_DOMAIN``."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = Field(None, description="E2B API key (None: $E2B_API_KEY).")
    domain: str | None = Field(None, description="E2B domain for self-hosted deployments (None: $E2B_DOMAIN).")
    template: str | None = Field(None, description="Sandbox template (None: E2B's code-interpreter default).")
    pool_size: int = Field(4, ge=1, description="Remote sandboxes kept warm and reused; also the concurrency bound.")
    fresh_sandbox_per_run: bool = Field(False, description="A new remote sandbox for every execution: nothing "
                                        "the code writes outside its run directory can reach the next one, at ~0.5 s "
                                        "more per execution. Off: sandboxes are pooled and reused.")
    sandbox_lifetime_s: int = Field(600, ge=30, description="Lifetime E2B gives each remote sandbox.")
    request_timeout_s: float = Field(30.0, gt=0, description="Timeout of API calls other than the execution.")
    allow_internet_access: bool = Field(False, description="Let the remote sandbox reach the internet (off: untrusted code).")
    output_limit_bytes: int = Field(1 << 20, ge=1024, description="stdout + stderr kept; more -> output_limit.")
