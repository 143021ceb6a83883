"""Hook implementations: describe the provider without importing torch or transformers."""

from __future__ import annotations

from llmrl_core import ProviderSpec, hookimpl
from llmrl_provider_transformers.config import TransformersConfig


@hookimpl
def llmrl_providers():
    yield ProviderSpec(
        name="transformers",
        factory="llmrl_provider_transformers.provider:TransformersProvider",
        config=TransformersConfig,
        description="Any Hugging Face causal LM in process (default: the embedded SmolLM2-135M), batched, on the best backend.",
    )
