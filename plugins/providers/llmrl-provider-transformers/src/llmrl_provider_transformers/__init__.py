"""llmrl's in-process Hugging Face provider. Build it with ``get_provider("transformers", model=...)``."""
