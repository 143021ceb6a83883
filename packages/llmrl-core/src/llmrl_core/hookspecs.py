"""Hook specifications of the ``llmrl`` plugin system.

Each hook returns an iterable of spec records (see :mod:`llmrl_core.specs`).
Implementations must not import heavy dependencies: they only describe.
"""

from __future__ import annotations

from collections.abc import Iterable

import pluggy

from llmrl_core.specs import BackendSpec, CommandSpec, EnvironmentSpec, ProviderSpec, SandboxSpec, TaskSpec

PROJECT = "llmrl"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def llmrl_providers() -> Iterable[ProviderSpec]:
    """LLM providers this plugin offers."""


@hookspec
def llmrl_sandboxes() -> Iterable[SandboxSpec]:
    """Sandboxes for untrusted code this plugin offers."""


@hookspec
def llmrl_environments() -> Iterable[EnvironmentSpec]:
    """Gymnasium environments this plugin offers (registered lazily)."""


@hookspec
def llmrl_tasks() -> Iterable[TaskSpec]:
    """LLM reasoning tasks (prompts + a verifier) this plugin offers."""


@hookspec
def llmrl_backends() -> Iterable[BackendSpec]:
    """Hardware backends this plugin offers."""


@hookspec
def llmrl_commands() -> Iterable[CommandSpec]:
    """Typer sub-apps this plugin adds to the ``llmrl`` CLI."""
