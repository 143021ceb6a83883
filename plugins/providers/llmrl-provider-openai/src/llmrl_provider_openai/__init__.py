"""llmrl's provider for OpenAI-compatible HTTP endpoints. Build it with ``get_provider("openai", ...)``."""
