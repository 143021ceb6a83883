"""The ``llmrl`` command line."""
