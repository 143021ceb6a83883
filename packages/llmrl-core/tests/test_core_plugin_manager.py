"""The plugin manager, with throwaway hook implementations on a fresh manager per test."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from llmrl_core import (
    ComponentUnavailableError,
    ConfigError,
    DuplicateComponentError,
    PluginManager,
    ProviderSpec,
    SandboxSpec,
    UnknownComponentError,
    get_backend,
    get_provider,
    get_sandbox,
    get_task,
    hookimpl,
    list_components,
    make_env,
)


class EchoConfig(BaseModel):
    prefix: str = ">"
    times: int = 1


class EchoProvider:
    def __init__(self, prefix: str, times: int):
        self.prefix, self.times = prefix, times


class ProvidesEcho:
    @hookimpl
    def llmrl_providers(self):
        yield ProviderSpec(name="echo", factory=f"{__name__}:EchoProvider", config=EchoConfig, description="echo")


class EchoFromModel:
    """A factory whose only parameter is ``config``: it receives the validated model itself."""

    def __init__(self, config: EchoConfig):
        self.config = config


class ProvidesEchoFromModel:
    @hookimpl
    def llmrl_providers(self):
        yield ProviderSpec(name="echo-model", factory=f"{__name__}:EchoFromModel", config=EchoConfig, description="e")


class ProvidesEchoToo:
    @hookimpl
    def llmrl_providers(self):
        yield ProviderSpec(name="echo", factory=f"{__name__}:EchoProvider", description="another echo")


class RaisesInHook:
    @hookimpl
    def llmrl_providers(self):
        raise RuntimeError("this plugin is broken")


class PointsAtMissingModule:
    @hookimpl
    def llmrl_sandboxes(self):
        yield SandboxSpec(name="ghost", factory="llmrl_no_such_module:Ghost", description="listed, not importable")


@pytest.fixture
def pm() -> PluginManager:
    return PluginManager(autoload=False)


def test_fresh_manager_has_only_core_components(pm):
    assert [(c.kind, c.name, c.distribution) for c in pm.components()] == [("backend", "cpu", "llmrl-core")]


def test_registered_component_is_listed_with_its_distribution(pm):
    pm.register(ProvidesEcho(), distribution="llmrl-echo")
    [comp] = list_components("provider", pm=pm)
    assert (comp.name, comp.distribution, comp.description) == ("echo", "llmrl-echo", "echo")


def test_a_keyword_factory_still_gets_the_validated_fields_with_a_deprecation(pm):
    pm.register(ProvidesEcho(), distribution="llmrl-echo")
    with pytest.warns(DeprecationWarning, match=r"llmrl-echo.*deprecated.*def __init__\(self, config: EchoConfig\)"):
        provider = get_provider("echo", pm=pm, times="3")
    assert isinstance(provider, EchoProvider)
    assert (provider.prefix, provider.times) == (">", 3)


def test_factory_with_a_config_parameter_gets_the_validated_model(pm):
    pm.register(ProvidesEchoFromModel(), distribution="llmrl-echo")
    provider = get_provider("echo-model", pm=pm, times="3")
    assert provider.config == EchoConfig(prefix=">", times=3)
    with pytest.raises(ConfigError, match=r"times: .*integer"):
        get_provider("echo-model", pm=pm, times="many")


def test_bad_config_names_the_field(pm):
    pm.register(ProvidesEchoFromModel(), distribution="llmrl-echo")
    with pytest.raises(ConfigError, match=r"times: .*integer.*'many'"):
        get_provider("echo-model", pm=pm, times="many")
    with pytest.raises(ConfigError, match=r"unknown field 'colour'.*valid fields: prefix, times"):
        get_provider("echo-model", pm=pm, colour="red")


def test_a_raising_hook_is_reported_and_the_rest_still_load(pm):
    pm.register(RaisesInHook(), distribution="llmrl-broken")
    pm.register(ProvidesEcho(), distribution="llmrl-echo")
    assert [c.name for c in pm.components("provider")] == ["echo"]
    [failure] = pm.failures
    assert failure.distribution == "llmrl-broken"
    assert "this plugin is broken" in failure.error


def test_duplicate_names_are_rejected_naming_both_distributions(pm):
    pm.register(ProvidesEcho(), distribution="llmrl-echo")
    pm.register(ProvidesEchoToo(), distribution="llmrl-echo-fork")
    assert pm.components("provider") == []
    with pytest.raises(DuplicateComponentError) as info:
        get_provider("echo", pm=pm)
    assert "llmrl-echo and llmrl-echo-fork" in str(info.value)
    assert [d.name for d in pm.duplicates()] == ["echo"]


def test_unknown_name_suggests_close_matches_and_install_command(pm):
    pm.register(ProvidesEchoFromModel(), distribution="llmrl-echo")
    with pytest.raises(UnknownComponentError) as info:
        get_provider("echo-modl", pm=pm)
    assert "Did you mean: 'echo-model'" in str(info.value)
    with pytest.raises(UnknownComponentError) as info:
        get_provider("transformer", pm=pm)
    assert "pip install llmrl-provider-transformers" in str(info.value)


def test_listing_imports_no_factory_and_building_explains(pm):
    pm.register(PointsAtMissingModule(), distribution="llmrl-ghost")
    assert [c.name for c in pm.components("sandbox")] == ["ghost"]
    from llmrl_core import get_sandbox

    with pytest.raises(ComponentUnavailableError, match="pip install --force-reinstall llmrl-ghost"):
        get_sandbox("ghost", pm=pm)


def test_disable_autoload_env_loads_no_entry_points(monkeypatch):
    monkeypatch.setenv("LLMRL_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("LLMRL_PLUGINS", raising=False)
    assert {c.distribution for c in PluginManager().components()} == {"llmrl-core"}


def test_llmrl_plugins_env_selects_distributions(monkeypatch):
    monkeypatch.setenv("LLMRL_PLUGINS", "llmrl-example-plugin")
    monkeypatch.setenv("LLMRL_DISABLE_PLUGIN_AUTOLOAD", "1")
    dists = {c.distribution for c in PluginManager().components()}
    assert dists == {"llmrl-core", "llmrl-example-plugin"}


def test_autoload_finds_installed_entry_points(monkeypatch):
    monkeypatch.delenv("LLMRL_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("LLMRL_PLUGINS", raising=False)
    names = {(c.kind, c.name) for c in PluginManager().components()}
    assert ("backend", "cuda") in names and ("environment", "llmrl-example/Corridor-v0") in names


def test_fresh_plugin_manager_fixture_isolates_the_global(fresh_plugin_manager):
    from llmrl_core import get_plugin_manager

    assert get_plugin_manager() is fresh_plugin_manager
    fresh_plugin_manager.register(ProvidesEcho(), distribution="llmrl-echo")
    assert [c.name for c in list_components("provider")] == ["echo"]


def _twice(kind: str, name: str):
    """Two throwaway distributions registering one ``name`` of ``kind``."""
    from llmrl_core import BackendSpec, EnvironmentSpec, TaskSpec

    def spec():
        if kind == "environment":
            return EnvironmentSpec(id=name, entry_point="gymnasium.envs.classic_control:CartPoleEnv")
        record = {"provider": ProviderSpec, "sandbox": SandboxSpec, "task": TaskSpec, "backend": BackendSpec}[kind]
        return record(name=name, factory=f"{__name__}:EchoProvider")

    hook = {"provider": "llmrl_providers", "sandbox": "llmrl_sandboxes", "environment": "llmrl_environments",
            "task": "llmrl_tasks", "backend": "llmrl_backends"}[kind]
    return [type(f"Plugin{i}", (), {hook: hookimpl(lambda self: [spec()])})() for i in range(2)]


@pytest.mark.parametrize(("kind", "name", "call"), [
    ("provider", "twin", lambda pm: get_provider("twin", pm=pm)),
    ("sandbox", "twin", lambda pm: get_sandbox("twin", pm=pm)),
    ("task", "twin", lambda pm: get_task("twin", pm=pm)),
    ("backend", "twin", lambda pm: get_backend("twin", pm=pm)),
    ("environment", "llmrl-twin/Twin-v0", lambda pm: make_env("llmrl-twin/Twin-v0", pm=pm)),
])
def test_every_registry_call_reports_a_duplicate_the_same_way(pm, kind, name, call):
    first, second = _twice(kind, name)
    pm.register(first, distribution="llmrl-twin-a")
    pm.register(second, distribution="llmrl-twin-b")
    with pytest.raises(DuplicateComponentError) as info:
        call(pm)
    assert (info.value.kind, info.value.name, info.value.distributions) == (kind, name, ["llmrl-twin-a", "llmrl-twin-b"])
    assert "LLMRL_PLUGINS_EXCLUDE=llmrl-twin-b" in str(info.value)


def test_unknown_names_mention_failed_plugins_and_rejected_duplicates(pm):
    first, second = _twice("environment", "llmrl-twin/Twin-v0")
    pm.register(first, distribution="llmrl-twin-a")
    pm.register(second, distribution="llmrl-twin-b")
    pm.register(RaisesInHook(), distribution="llmrl-broken")
    pm.components("provider")  # the broken hook is called (and recorded) when providers are collected
    with pytest.raises(UnknownComponentError) as info:
        make_env("llmrl-twin/Twin-v1", pm=pm)
    message = str(info.value)
    assert "Rejected because two distributions register them: 'llmrl-twin/Twin-v0' (llmrl-twin-a and llmrl-twin-b)" in message
    assert "failed to load" in message and "llmrl-broken" in message and "this plugin is broken" in message
    with pytest.raises(UnknownComponentError, match="failed to load.*this plugin is broken"):
        get_provider("echo", pm=pm)


def test_exclude_env_skips_only_the_named_distributions(monkeypatch):
    monkeypatch.delenv("LLMRL_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("LLMRL_PLUGINS", raising=False)
    monkeypatch.setenv("LLMRL_PLUGINS_EXCLUDE", "llmrl-example-plugin, llmrl_backend_cuda")
    pm = PluginManager()
    dists = {c.distribution for c in pm.components()}
    assert "llmrl-example-plugin" not in dists and "llmrl-backend-cuda" not in dists
    assert {"serve", "sandbox serve"} <= set(pm.names("command"))  # first-party commands stay
    assert pm.skipped == ["llmrl-backend-cuda", "llmrl-example-plugin"]
    with pytest.raises(UnknownComponentError, match="Not loaded because of LLMRL_PLUGINS.*llmrl-example-plugin"):
        get_provider("nope", pm=pm)


def test_only_env_says_what_it_kept_out(monkeypatch):
    monkeypatch.delenv("LLMRL_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("LLMRL_PLUGINS_EXCLUDE", raising=False)
    monkeypatch.setenv("LLMRL_PLUGINS", "llmrl-example-plugin")
    pm = PluginManager()
    assert "llmrl-serve" in pm.skipped and "llmrl-example-plugin" not in pm.skipped
