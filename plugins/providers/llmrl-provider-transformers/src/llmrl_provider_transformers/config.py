"""The transformers provider's configuration (pydantic only: imported when plugins are listed)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TransformersConfig(BaseModel):
    """Which model, on which backend, in which dtype, in batches of what size."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field("smollm2-135m", description="An alias (smollm2-135m), a .gguf file, a local directory or an HF id.")
    backend: str | None = Field(None, description="A backend name (cpu, cuda, ...); None picks the best available.")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(
        "auto", description="Weights' dtype; auto uses the backend's default (float32 on CPU, bf16 on recent GPUs)."
    )
    batch_size: int = Field(32, ge=1, description="Most sequences (prompts x n) in one generate call.")
    max_model_len: int | None = Field(None, ge=16, description="Cap the context below the model's own (None: the model's).")
    truncate_prompt: bool = Field(
        False, description="Cut over-long prompts from the left to fit the context (flagged in metadata) instead of failing."
    )
