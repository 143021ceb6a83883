"""Each kind's contract page lists every test and every knob of its conformance suite, so authors need not read source."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import llmrl_core.testing as testing

DOCS = Path(__file__).resolve().parents[3] / "docs"
PAGES = {
    "ProviderConformance": "providers.md",
    "SandboxConformance": "sandboxes.md",
    "HostileProgramSuite": "sandboxes.md",
    "EnvironmentConformance": "environments.md",
    "TaskConformance": "tasks.md",
    "BackendConformance": "backends.md",
}


def _knobs(suite: type) -> set[str]:
    return {name for cls in suite.__mro__ for name in getattr(cls, "__annotations__", {}) if not name.startswith("_")}


@pytest.mark.parametrize(("suite_name", "page"), sorted(PAGES.items()))
def test_contract_page_lists_every_test_and_knob(suite_name: str, page: str) -> None:
    suite = getattr(testing, suite_name)
    text = (DOCS / page).read_text()
    tests = [name for name, _ in inspect.getmembers(suite, inspect.isfunction) if name.startswith("test_")]
    assert tests, suite_name
    missing = [f"`{name}`" for name in [*tests, *sorted(_knobs(suite))] if f"`{name}`" not in text]
    assert not missing, f"{page} does not describe {suite_name}'s {', '.join(missing)}"


def test_every_suite_has_a_page() -> None:
    suites = {name for name in testing.__all__ if name[0].isupper()}
    assert suites == set(PAGES)
