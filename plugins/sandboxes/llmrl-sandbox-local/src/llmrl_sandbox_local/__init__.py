"""llmrl-sandbox-local: kernel-isolated execution of untrusted Python with pre-forked workers.

Use it through the registry: ``llmrl_core.get_sandbox("local")``.
"""

from llmrl_sandbox_local.config import LocalSandboxConfig

__all__ = ["LocalSandboxConfig"]
