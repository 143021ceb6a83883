"""llmrl-grpo."""
