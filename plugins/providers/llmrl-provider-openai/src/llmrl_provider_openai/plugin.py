"""Hook implementations: describe the provider without importing httpx."""

from __future__ import annotations

from llmrl_core import ProviderSpec, hookimpl
from llmrl_provider_openai.config import OpenAIConfig


@hookimpl
def llmrl_providers():
    yield ProviderSpec(
        name="openai",
        factory="llmrl_provider_openai.provider:OpenAIProvider",
        config=OpenAIConfig,
        description="Any OpenAI-compatible endpoint (vLLM, SGLang, llama.cpp, Ollama, OpenAI, `llmrl serve`) over HTTP.",
    )
