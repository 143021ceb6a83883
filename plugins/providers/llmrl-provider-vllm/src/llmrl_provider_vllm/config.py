"""The vllm provider's configuration (pydantic only: imported when plugins are listed)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class VLLMConfig(BaseModel):
    """The engine's model and memory settings; anything else goes through ``engine_args``."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field("smollm2-135m", description="An alias (smollm2-135m), a .gguf file, a local directory or an HF id.")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field("auto", description="Weights' dtype.")
    gpu_memory_utilization: float = Field(0.5, gt=0, le=1, description="Share of GPU memory vLLM may take.")
    max_model_len: int | None = Field(None, ge=1, description="Context length; None uses the model's.")
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs to shard the model over.")
    enforce_eager: bool = Field(False, description="Skip CUDA graphs (faster start, slower decode).")
    engine_args: dict = Field(default_factory=dict, description="Extra keyword arguments for vllm.LLM.")
