"""Settings are declared once, in the component's config model, and validated once, by the registry."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from llmrl_core import PluginManager, SandboxSpec, get_sandbox, hookimpl, list_components
from llmrl_core.registry import takes_config_model

VALIDATIONS: list[str] = []


class CountedConfig(BaseModel):
    """Counts its validations: the registry must validate once and the factory never again."""

    model_config = ConfigDict(extra="forbid")

    workers: int = Field(1, ge=1, description="Workers.")

    @model_validator(mode="after")
    def _count(self) -> CountedConfig:
        VALIDATIONS.append("validated")
        return self


class TakesTheModel:
    def __init__(self, config: CountedConfig, *, client_factory=None):
        self.config, self.client_factory = config, client_factory


class TakesKeywords:
    def __init__(self, workers: int = 1):
        self.workers = workers


class ConfigAndMore:
    """A second positional parameter: not the config-model form, so it gets the fields as keywords."""

    def __init__(self, config=None, workers: int = 1):
        self.config, self.workers = config, workers


class Provides:
    @hookimpl
    def llmrl_sandboxes(self):
        yield SandboxSpec(name="counted", factory=f"{__name__}:TakesTheModel", config=CountedConfig)
        yield SandboxSpec(name="keywords", factory=f"{__name__}:TakesKeywords", config=CountedConfig)
        yield SandboxSpec(name="config-and-more", factory=f"{__name__}:ConfigAndMore", config=CountedConfig)


@pytest.fixture
def pm() -> PluginManager:
    manager = PluginManager(autoload=False)
    manager.register(Provides(), distribution="llmrl-counted")
    VALIDATIONS.clear()
    return manager


def test_the_registry_validates_once_and_hands_the_model_over(pm):
    sandbox = get_sandbox("counted", pm=pm, workers="3")
    assert VALIDATIONS == ["validated"]
    assert isinstance(sandbox.config, CountedConfig) and sandbox.config.workers == 3
    assert sandbox.client_factory is None  # keyword-only extras with defaults keep the config-model form


def test_the_older_keyword_form_still_works_and_says_it_is_deprecated(pm):
    with pytest.warns(DeprecationWarning, match="keyword arguments, which is deprecated"):
        sandbox = get_sandbox("keywords", pm=pm, workers=2)
    assert sandbox.workers == 2 and VALIDATIONS == ["validated"]
    with pytest.warns(DeprecationWarning):
        assert get_sandbox("config-and-more", pm=pm, workers=4).workers == 4


@pytest.mark.parametrize(("factory", "expected"), [
    (TakesTheModel, True), (lambda config: config, True), (TakesKeywords, False), (ConfigAndMore, False),
    (lambda config, *, hook: config, False),  # a keyword-only parameter without a default cannot be left out
    (lambda **config: config, False),
])
def test_which_factories_take_the_model(factory, expected):
    assert takes_config_model(factory) is expected


def test_every_installed_first_party_component_with_settings_takes_its_model():
    """No first-party provider, sandbox, task or backend repeats its config fields as keywords."""
    from llmrl_core.catalogue import is_first_party

    checked = []
    for comp in list_components():
        config = getattr(comp.spec, "config", None)
        if config is None or not (is_first_party(comp.distribution) or comp.distribution == "llmrl-example-plugin"):
            continue
        factory = comp.spec.load()
        assert takes_config_model(factory), (
            f"{comp.kind} {comp.name!r} ({comp.distribution}): {comp.spec.factory} does not take its "
            f"{config.__name__} as its only positional parameter `config`")
        checked.append(comp.name)
    if not checked:
        pytest.skip("no first-party component with settings is installed here")
