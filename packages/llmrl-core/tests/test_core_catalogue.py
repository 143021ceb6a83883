"""The install-hint catalogue: generated from the first-party plugins' hooks, and never stale."""

from __future__ import annotations

import pytest

from llmrl_core import PluginManager, UnknownComponentError, get_task
from llmrl_core import catalogue as cat


def test_the_shipped_catalogue_is_what_the_installed_first_party_plugins_register():
    shipped = cat.load_catalogue()
    live = cat.build_catalogue()
    if not any(dist != "llmrl-core" for names in live.values() for dist in names.values()):
        pytest.skip("no first-party plugin is installed here: nothing to compare the catalogue with")
    # Distributions that are not installed cannot be checked here; every installed one must agree both ways.
    checkable = {kind: {n: d for n, d in names.items() if cat.is_installed(d)} for kind, names in shipped.items()}
    assert checkable == live, (
        "llmrl_core/catalogue.json disagrees with what the installed first-party plugins register; "
        f"regenerate it with: {cat.REGENERATE}")


def test_first_party_means_published_from_this_repository():
    assert cat.is_first_party("llmrl-core")
    assert not cat.is_first_party("llmrl-example-plugin")  # private: never on PyPI, so never an install hint
    assert not cat.is_first_party("pydantic") and not cat.is_first_party("llmrl-no-such-distribution")


def test_an_environment_id_in_another_version_still_names_its_distribution():
    env_id, dist = next(iter(cat.load_catalogue()["environment"].items()))
    assert cat.provider_of("environment", env_id) == dist
    assert cat.provider_of("environment", env_id.rsplit("-v", 1)[0] + "-v99") == dist
    assert cat.provider_of("environment", "somebody/Else-v0") is None


def test_a_user_without_the_plugin_is_told_what_to_install(monkeypatch):
    """A catalogue entry whose distribution is not installed here, as for a user who never installed it."""
    monkeypatch.setattr(cat, "load_catalogue", lambda: {"task": {"abacus": "llmrl-env-abacus"}})
    with pytest.raises(UnknownComponentError) as info:
        get_task("abacus", pm=PluginManager(autoload=False))
    assert "It is provided by llmrl-env-abacus: pip install llmrl-env-abacus" in str(info.value)
    with pytest.raises(UnknownComponentError) as info:
        get_task("abacuss", pm=PluginManager(autoload=False))
    assert "Did you mean: 'abacus' (pip install llmrl-env-abacus)?" in str(info.value)


def test_an_installed_plugin_kept_out_is_not_told_to_install_it(monkeypatch):
    monkeypatch.delenv("LLMRL_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    pm = PluginManager(only=["llmrl-example-plugin"])
    dist = cat.provider_of("task", "arithmetic")
    if dist is None or not cat.is_installed(dist):
        pytest.skip("llmrl-env-math is not installed here")
    with pytest.raises(UnknownComponentError) as info:
        get_task("arithmetic", pm=pm)
    assert f"It is provided by {dist}, installed but kept out by LLMRL_PLUGINS" in str(info.value)
    assert f"pip install {dist}" not in str(info.value)
