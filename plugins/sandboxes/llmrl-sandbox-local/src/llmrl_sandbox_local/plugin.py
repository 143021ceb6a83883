"""Hook implementations: describe the ``local`` sandbox without importing it."""

from __future__ import annotations

from llmrl_core import SandboxSpec, hookimpl
from llmrl_sandbox_local.config import LocalSandboxConfig


@hookimpl
def llmrl_sandboxes():
    yield SandboxSpec(
        name="local",
        factory="llmrl_sandbox_local.sandbox:LocalSandbox",
        config=LocalSandboxConfig,
        doctor="llmrl_sandbox_local.bwrap:doctor_checks",
        description="Kernel-isolated Python on this machine: bubblewrap namespaces, seccomp, rlimits, pre-forked "
        "workers with numpy/sympy preloaded (~ms per execution).",
    )
