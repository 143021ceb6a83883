"""llmrl-rewardgen."""
