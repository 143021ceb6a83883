"""Hook implementations: describe the provider without importing vllm (which may be absent)."""

from __future__ import annotations

from llmrl_core import ProviderSpec, hookimpl
from llmrl_provider_vllm.config import VLLMConfig


@hookimpl
def llmrl_providers():
    yield ProviderSpec(
        name="vllm",
        factory="llmrl_provider_vllm.provider:VLLMProvider",
        config=VLLMConfig,
        description="vLLM's in-process engine on a GPU (needs `pip install vllm`); fastest for large batches.",
    )
