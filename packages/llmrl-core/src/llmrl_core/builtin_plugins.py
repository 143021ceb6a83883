"""llmrl-core's own components, registered through the same hooks as any plugin."""

from __future__ import annotations

from llmrl_core.hookspecs import hookimpl
from llmrl_core.specs import BackendSpec


@hookimpl
def llmrl_backends():
    yield BackendSpec(
        name="cpu",
        factory="llmrl_core.backends.cpu:CpuBackend",
        priority=0,
        description="The CPU, float32. Always available; the fallback when no accelerator is.",
    )
