"""llmrl-sandbox-fusion: a Sandbox Fusion client (``get_sandbox("fusion")``) and a compatible server."""
