"""Hook implementations: the ``e2b`` sandbox, described without importing the E2B SDK."""

from __future__ import annotations

from llmrl_core import SandboxSpec, hookimpl
from llmrl_sandbox_e2b.config import E2BSandboxConfig


@hookimpl
def llmrl_sandboxes():
    yield SandboxSpec(
        name="e2b",
        factory="llmrl_sandbox_e2b.sandbox:E2BSandbox",
        config=E2BSandboxConfig,
        description="E2B cloud sandboxes (e2b-code-interpreter); needs E2B_API_KEY. A pool of reused VMs, a fresh "
        "kernel per execution.",
    )
