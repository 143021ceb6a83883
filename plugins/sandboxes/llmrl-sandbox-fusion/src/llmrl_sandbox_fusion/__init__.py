"""llmrl sandbox plugin."""
