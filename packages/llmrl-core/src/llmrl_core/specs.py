"""Typed, frozen records that plugins yield from their hooks.

A record names its component and points at the code that builds it with a
``"module:attr"`` string, so listing plugins imports nothing heavy: the factory
module is imported only when the component is built.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Literal

ComponentKind = Literal["provider", "sandbox", "environment", "task", "backend", "command"]
KINDS: tuple[ComponentKind, ...] = ("provider", "sandbox", "environment", "task", "backend", "command")


def import_object(path: str) -> Any:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'module:attr', got {path!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class DoctorCheck:
    """One line of ``llmrl doctor``: what was checked, whether it works, and the fix when it does not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = False


@dataclass(frozen=True)
class _FactorySpec:
    name: str
    factory: str
    description: str = ""
    config: type | None = None
    """The component's settings: a pydantic model class. The registry validates the keyword arguments of
    ``get_provider(name, **settings)`` (and the like) against it, once, and calls ``factory(config)`` with the
    validated model. Without one, the factory is called with the keyword arguments as given."""
    doctor: str | None = None
    """``"module:attr"`` of a function returning the :class:`DoctorCheck` list that ``llmrl doctor`` shows for
    this component (what it needs from the machine); imported only when the doctor runs."""

    def load(self) -> Any:
        return import_object(self.factory)


@dataclass(frozen=True)
class ProviderSpec(_FactorySpec):
    """An LLM provider: ``factory(config) -> LLMProvider``."""

    kind: ComponentKind = field(default="provider", init=False)


@dataclass(frozen=True)
class SandboxSpec(_FactorySpec):
    """A sandbox for untrusted code: ``factory(config) -> Sandbox``."""

    kind: ComponentKind = field(default="sandbox", init=False)


@dataclass(frozen=True)
class TaskSpec(_FactorySpec):
    """An LLM reasoning task (prompts + verifier): ``factory(config) -> Task``."""

    kind: ComponentKind = field(default="task", init=False)


@dataclass(frozen=True)
class BackendSpec(_FactorySpec):
    """A hardware backend: ``factory(config)`` (or ``factory()`` without settings) ``-> Backend``. Higher
    priority wins when no name is given."""

    priority: int = 0
    kind: ComponentKind = field(default="backend", init=False)


@dataclass(frozen=True)
class EnvironmentSpec:
    """A Gymnasium environment, registered with Gymnasium lazily under ``id``."""

    id: str
    entry_point: str
    description: str = ""
    max_episode_steps: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    kind: ComponentKind = field(default="environment", init=False)

    @property
    def name(self) -> str:
        return self.id

    def load(self) -> Any:
        return import_object(self.entry_point)


@dataclass(frozen=True)
class CommandSpec:
    """A Typer sub-app added to the ``llmrl`` CLI as ``llmrl <name> ...``.

    ``app`` names a ``typer.Typer`` (a group: ``llmrl <name> <command> ...``) or a
    plain function, which becomes the single command ``llmrl <name> ARGS...``.
    A name of two words, ``"<group> <command>"``, adds the command to an existing group
    (llmrl-core's ``sandbox``, or another plugin's): ``llmrl sandbox serve`` is the fusion plugin's.

    The module named by ``app`` must import quickly: it is imported every time
    the CLI starts. Keep heavy imports inside the command functions.
    """

    name: str
    app: str
    description: str = ""
    kind: ComponentKind = field(default="command", init=False)

    def load(self) -> Any:
        return import_object(self.app)


AnySpec = ProviderSpec | SandboxSpec | TaskSpec | BackendSpec | EnvironmentSpec | CommandSpec
