"""llmrl-sandbox-e2b: E2B cloud sandboxes for llmrl (``get_sandbox("e2b")``; needs ``E2B_API_KEY``)."""
