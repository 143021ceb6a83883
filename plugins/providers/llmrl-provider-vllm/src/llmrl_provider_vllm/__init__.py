"""llmrl's vLLM provider. Build it with ``get_provider("vllm", model=...)`` once vllm is installed."""
