"""The example sandbox's settings: declared once, here. The registry validates them and hands the model over."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SubprocessSandboxConfig(BaseModel):
    """Settings of ``get_sandbox("example-subprocess", ...)``; each field's description is its documentation."""

    model_config = ConfigDict(extra="forbid")  # a misspelt setting is an error, not silently ignored

    output_limit_bytes: int = Field(1 << 20, ge=1024, description="stdout and stderr kept per run; more -> output_limit.")
    python: str | None = Field(None, description="Interpreter that runs the code (None: the current one).")
