"""llmrl-env-math."""
