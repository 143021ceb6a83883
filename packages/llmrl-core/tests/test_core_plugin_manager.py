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
    get_provider,
    hookimpl,
    list_components,
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


def test_factory_gets_validated_config(pm):
    pm.register(ProvidesEcho(), distribution="llmrl-echo")
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
    pm.register(ProvidesEcho(), distribution="llmrl-echo")
    with pytest.raises(ConfigError, match=r"times: .*integer.*'many'"):
        get_provider("echo", pm=pm, times="many")
    with pytest.raises(ConfigError, match=r"unknown field 'colour'.*valid fields: prefix, times"):
        get_provider("echo", pm=pm, colour="red")


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
    pm.register(ProvidesEcho(), distribution="llmrl-echo")
    with pytest.raises(UnknownComponentError) as info:
        get_provider("ecko", pm=pm)
    assert "Did you mean: 'echo'" in str(info.value)
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
