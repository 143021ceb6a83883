"""The CUDA backend plugin for llmrl."""
