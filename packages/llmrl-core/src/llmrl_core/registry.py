"""The public way to get a component by name: providers, sandboxes, envs, tasks, backends."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from llmrl_core.config import validate_config_model
from llmrl_core.errors import ComponentUnavailableError, ConfigError, UnknownComponentError
from llmrl_core.gym_registration import register_env_specs
from llmrl_core.plugins import Component, PluginManager, get_plugin_manager
from llmrl_core.specs import ComponentKind, EnvironmentSpec

if TYPE_CHECKING:
    from llmrl_core.backend import Backend
    from llmrl_core.provider import LLMProvider
    from llmrl_core.sandbox import Sandbox
    from llmrl_core.task import Task


def _manager(pm: PluginManager | None) -> PluginManager:
    return pm if pm is not None else get_plugin_manager()


def _unknown(kind: ComponentKind, name: str, manager: PluginManager) -> UnknownComponentError:
    """The miss, with what may explain it: failed plugins, rejected duplicates, plugins kept out."""
    from llmrl_core.catalogue import install_hint, load_catalogue

    return UnknownComponentError(
        kind, name, manager.names(kind), install_hint(kind, name, manager), load_catalogue().get(kind),
        failed=[f"{f.plugin} ({f.distribution}): {f.error}" for f in manager.failures],
        duplicates=[f"{d.name!r} ({' and '.join(d.distributions)})" for d in manager.duplicates(kind)],
        skipped=manager.skipped,
    )


def _component(kind: ComponentKind, name: str, pm: PluginManager | None) -> Component:
    """The component ``name``; a duplicate name raises ``DuplicateComponentError`` whatever the kind."""
    manager = _manager(pm)
    comp = manager.lookup(kind, name)
    if comp is None:
        raise _unknown(kind, name, manager)
    return comp


def _build(kind: ComponentKind, name: str, config: dict[str, Any], pm: PluginManager | None) -> Any:
    comp = _component(kind, name, pm)
    spec = comp.spec
    validated = validate_config_model(spec.config, config, where=f"{kind} {name!r}") if spec.config else None
    try:
        factory = spec.load()
    except ImportError as exc:
        raise ComponentUnavailableError(
            f"{kind} {name!r} (from {comp.distribution}) cannot be imported: {exc}. "
            f"Reinstall it with: pip install --force-reinstall {comp.distribution}"
        ) from exc
    if validated is None:
        return factory(**config)
    if takes_config_model(factory):
        return factory(validated)  # validated once, here; the factory does not validate again
    warnings.warn(
        f"{kind} {name!r} ({comp.distribution}): its factory {spec.factory} takes the settings as keyword "
        f"arguments, which is deprecated. Give it one positional parameter named config "
        f"(def __init__(self, config: {spec.config.__name__})): it then receives the validated model, and the "
        "settings are declared once, in the model. See docs/plugin-authoring.md.",
        DeprecationWarning, stacklevel=3,
    )
    return factory(**{field: getattr(validated, field) for field in type(validated).model_fields})


def takes_config_model(factory: Any) -> bool:
    """Whether ``factory`` takes the validated config model: its only positional parameter is ``config``.

    Further parameters may follow as keyword-only ones with defaults (hooks for tests, such as a client factory).
    """
    import inspect

    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params or params[0].name != "config" or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
        return False
    return all(p.kind == inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty for p in params[1:])


def get_provider(name: str, *, pm: PluginManager | None = None, **config: Any) -> LLMProvider:
    """Build the LLM provider ``name`` with its validated ``config``."""
    return _build("provider", name, config, pm)


def get_sandbox(name: str, *, pm: PluginManager | None = None, **config: Any) -> Sandbox:
    """Build the sandbox ``name``; use it as a context manager so its workers stop."""
    return _build("sandbox", name, config, pm)


def get_task(name: str, *, pm: PluginManager | None = None, **config: Any) -> Task:
    """Build the reasoning task ``name``."""
    return _build("task", name, config, pm)


def get_backend(name: str | None = None, *, pm: PluginManager | None = None, **config: Any) -> Backend:
    """The backend ``name`` (with its validated ``config``), or with no name the highest-priority available one."""
    manager = _manager(pm)
    if name is not None:
        backend = _build("backend", name, config, pm)
        if not backend.is_available():
            raise ComponentUnavailableError(
                f"backend {name!r} is installed but not available on this machine "
                f"({backend.describe()}). Run `llmrl doctor` to see why, or omit the name to use the best available."
            )
        return backend
    if config:
        raise ConfigError(f"backend settings ({', '.join(config)}) need a backend name, e.g. get_backend('cuda', index=1)")
    candidates = sorted(manager.components("backend"), key=lambda c: -getattr(c.spec, "priority", 0))
    for comp in candidates:
        try:
            backend = _build("backend", comp.name, {}, manager)
        except Exception:  # noqa: BLE001 - an unusable backend is skipped, not fatal
            continue
        if backend.is_available():
            return backend
    raise ComponentUnavailableError("no backend is available; llmrl-core's cpu backend should always be: reinstall llmrl-core")


def register_environments(pm: PluginManager | None = None) -> list[EnvironmentSpec]:
    """Register every plugin environment with Gymnasium (idempotent); returns their specs."""
    specs = [c.spec for c in _manager(pm).components("environment")]
    register_env_specs(specs)
    return specs


def make_env(id: str, *, pm: PluginManager | None = None, **kwargs: Any) -> Any:
    """``gymnasium.make(id, **kwargs)`` after registering the plugins' environments."""
    import gymnasium

    manager = _manager(pm)
    manager.lookup("environment", id)  # two plugins registering this id: the same error as every registry call
    register_environments(pm)
    if id not in gymnasium.registry:
        raise _unknown("environment", id, manager)
    return gymnasium.make(id, **kwargs)


def list_components(kind: ComponentKind | None = None, *, pm: PluginManager | None = None) -> list[Component]:
    """Every installed component (of one kind, or all), with its distribution and version."""
    return _manager(pm).components(kind)
