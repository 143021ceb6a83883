"""The plugin manager: finds ``llmrl`` entry points and collects their components.

Each entry point is loaded in its own try/except, and each hook implementation
is called on its own, so one broken plugin is reported and never takes the
others down. Two distributions offering the same component name make that name
unusable (the error names both); every other name keeps working.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType

import pluggy

from llmrl_core import hookspecs
from llmrl_core.errors import DuplicateComponentError
from llmrl_core.specs import KINDS, AnySpec, ComponentKind

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "llmrl"
DISABLE_AUTOLOAD_ENV = "LLMRL_DISABLE_PLUGIN_AUTOLOAD"
PLUGINS_ENV = "LLMRL_PLUGINS"
EXCLUDE_ENV = "LLMRL_PLUGINS_EXCLUDE"

_HOOK_OF_KIND: dict[ComponentKind, str] = {
    "provider": "llmrl_providers",
    "sandbox": "llmrl_sandboxes",
    "environment": "llmrl_environments",
    "task": "llmrl_tasks",
    "backend": "llmrl_backends",
    "command": "llmrl_commands",
}


@dataclass(frozen=True)
class Component:
    """A spec together with the distribution that provides it."""

    kind: ComponentKind
    name: str
    spec: AnySpec
    distribution: str
    version: str

    @property
    def description(self) -> str:
        return self.spec.description


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded, or a hook of it that raised."""

    plugin: str
    distribution: str
    error: str
    traceback: str = ""


@dataclass
class _Collected:
    components: dict[str, Component] = field(default_factory=dict)
    duplicates: dict[str, list[Component]] = field(default_factory=dict)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


class PluginManager:
    """Loads plugins and answers "which components of kind K exist?".

    ``autoload=None`` follows the environment: ``LLMRL_DISABLE_PLUGIN_AUTOLOAD=1``
    loads no entry points but those named in ``LLMRL_PLUGINS`` (a comma list of
    distribution names); ``LLMRL_PLUGINS`` alone restricts autoloading to those;
    ``LLMRL_PLUGINS_EXCLUDE`` loads every plugin but those (the way to drop one side
    of a name clash while keeping every command). Plugins left out are listed in
    :attr:`skipped`, so that errors and ``llmrl plugins`` can say so.
    llmrl-core's own components are always registered.
    """

    def __init__(self, autoload: bool | None = None, only: list[str] | None = None,
                 exclude: list[str] | None = None):
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._dist_of: dict[int, tuple[str, str]] = {}
        self.failures: list[PluginFailure] = []
        self.skipped: list[str] = []
        self._cache: dict[ComponentKind, _Collected] = {}
        self._lock = threading.RLock()
        if only is None and os.environ.get(PLUGINS_ENV):
            only = _env_list(PLUGINS_ENV)
        if exclude is None:
            exclude = _env_list(EXCLUDE_ENV)
        if autoload is None:
            autoload = not _env_flag(DISABLE_AUTOLOAD_ENV) or only is not None
        from llmrl_core import builtin_plugins

        self.register(builtin_plugins, distribution="llmrl-core")
        if autoload:
            self.load_entry_points(only=only, exclude=exclude)

    # -- loading -----------------------------------------------------------------
    def register(self, plugin: ModuleType | object, *, distribution: str | None = None, name: str | None = None) -> None:
        """Register a module or object with hook implementations (used by tests and embedders)."""
        with self._lock:
            dist = distribution or getattr(plugin, "__name__", type(plugin).__name__)
            self._pm.register(plugin, name=name or f"{dist}:{id(plugin)}")
            self._dist_of[id(plugin)] = (dist, _version_of(dist))
            self._cache.clear()

    def load_entry_points(self, only: list[str] | None = None, exclude: list[str] | None = None) -> None:
        """Load every entry point of the ``llmrl`` group (or ``only`` those, less ``exclude``), each in its own try/except."""
        wanted = {_normalise(n) for n in only} if only is not None else None
        unwanted = {_normalise(n) for n in exclude or ()}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist_name = ep.dist.name if ep.dist is not None else ep.name
            if dist_name == "llmrl-core":
                continue  # registered above, whatever the autoload settings
            names = {_normalise(dist_name), _normalise(ep.name)}
            if (wanted is not None and not names & wanted) or names & unwanted:
                self.skipped = sorted({*self.skipped, dist_name})
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the rest
                self.record_failure(ep.name, dist_name, exc)
                continue
            try:
                self.register(plugin, distribution=dist_name, name=ep.name)
            except Exception as exc:  # noqa: BLE001
                self.record_failure(ep.name, dist_name, exc)

    def record_failure(self, plugin: str, distribution: str, exc: BaseException) -> None:
        """Remember a plugin part that failed, for `llmrl plugins` and `llmrl doctor`."""
        tb = "".join(traceback.format_exception(exc))
        log.warning("llmrl plugin %s (%s) failed to load: %s", plugin, distribution, exc)
        self.failures.append(PluginFailure(plugin, distribution, f"{type(exc).__name__}: {exc}", tb))

    # -- collecting --------------------------------------------------------------
    def _collect(self, kind: ComponentKind) -> _Collected:
        with self._lock:
            if kind in self._cache:
                return self._cache[kind]
            collected = _Collected()
            hook = getattr(self._pm.hook, _HOOK_OF_KIND[kind])
            for impl in hook.get_hookimpls():
                dist, version = self._dist_of.get(id(impl.plugin), (impl.plugin_name, ""))
                try:
                    specs = list(impl.function() or ())
                except Exception as exc:  # noqa: BLE001
                    self.record_failure(impl.plugin_name, dist, exc)
                    continue
                for spec in specs:
                    comp = Component(kind, spec.name, spec, dist, version)
                    if spec.name in collected.duplicates:
                        collected.duplicates[spec.name].append(comp)
                    elif spec.name in collected.components:
                        first = collected.components.pop(spec.name)
                        collected.duplicates[spec.name] = [first, comp]
                    else:
                        collected.components[spec.name] = comp
            self._cache[kind] = collected
            return collected

    def components(self, kind: ComponentKind | None = None) -> list[Component]:
        """Every usable component, of one kind or of all, sorted by kind then name."""
        kinds = KINDS if kind is None else (kind,)
        return [c for k in kinds for c in sorted(self._collect(k).components.values(), key=lambda c: c.name)]

    def duplicates(self, kind: ComponentKind | None = None) -> list[DuplicateComponentError]:
        """Names rejected because several distributions register them."""
        kinds = KINDS if kind is None else (kind,)
        return [
            DuplicateComponentError(k, name, [c.distribution for c in comps])
            for k in kinds
            for name, comps in sorted(self._collect(k).duplicates.items())
        ]

    def lookup(self, kind: ComponentKind, name: str) -> Component | None:
        """The component ``name`` of ``kind``; raises if the name is a duplicate."""
        collected = self._collect(kind)
        if name in collected.duplicates:
            raise DuplicateComponentError(kind, name, [c.distribution for c in collected.duplicates[name]])
        return collected.components.get(name)

    def names(self, kind: ComponentKind) -> list[str]:
        return sorted(self._collect(kind).components)

    @property
    def pluggy(self) -> pluggy.PluginManager:
        return self._pm


def _env_list(name: str) -> list[str]:
    return [p.strip() for p in os.environ.get(name, "").split(",") if p.strip()]


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except Exception:  # noqa: BLE001 - not an installed distribution (a test's module)
        return ""


_manager: PluginManager | None = None
_manager_lock = threading.Lock()


def get_plugin_manager() -> PluginManager:
    """The process-wide manager, created on first use."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = PluginManager()
        return _manager


def set_plugin_manager(manager: PluginManager | None) -> PluginManager | None:
    """Replace the process-wide manager (tests use a fresh one each); returns the old one."""
    global _manager
    with _manager_lock:
        old, _manager = _manager, manager
        return old


