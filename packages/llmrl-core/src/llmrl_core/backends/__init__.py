"""Backends that ship with llmrl-core."""
