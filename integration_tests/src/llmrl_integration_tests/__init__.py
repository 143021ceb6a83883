"""End-to-end tests of llmrl through real entry points (a private workspace member)."""
