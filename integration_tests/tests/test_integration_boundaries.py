"""The plugin boundary: a plugin builds on llmrl-core only, never on a package from ``packages/``.

A plugin that imports a method package drags it (and its dependencies) into every install of
the plugin; what both need lives in llmrl-core, or with the package that registers it.
Checked by parsing every Python file under ``plugins/`` (sources and tests) and every plugin's
declared dependencies, so a lazy import inside a function is caught too.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.parent for p in ROOT.glob("packages/*/pyproject.toml"))
PLUGINS = sorted(p.parent for p in ROOT.glob("plugins/*/*/pyproject.toml"))
ALLOWED = {"llmrl_core", "llmrl-core"}


def distribution(directory: Path) -> str:
    return tomllib.loads((directory / "pyproject.toml").read_text())["project"]["name"]


# import name (llmrl_mpc) and distribution name (llmrl-mpc) of each package under packages/
PACKAGE_MODULES = {d.name for p in PACKAGES for d in (p / "src").iterdir() if (d / "__init__.py").is_file()} - ALLOWED
PACKAGE_DISTRIBUTIONS = {distribution(p) for p in PACKAGES} - ALLOWED


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, wherever the import statement stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_packages_and_plugins_are_found() -> None:
    assert {"llmrl_mpc", "llmrl_grpo", "llmrl_rewardgen"} <= PACKAGE_MODULES
    assert {"llmrl-env-mujoco", "llmrl-sandbox-local"} <= {distribution(p) for p in PLUGINS}


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_plugin_imports_no_package_but_llmrl_core(plugin: Path) -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & PACKAGE_MODULES)
        for path in sorted(plugin.rglob("*.py"))
        if imported_modules(path) & PACKAGE_MODULES
    }
    assert not offending, (f"{plugin.name} imports packages from packages/ (only llmrl_core is allowed): {offending}. "
                           "Move what both need into llmrl-core, or let the package register the component itself.")


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_plugin_depends_on_no_package_but_llmrl_core(plugin: Path) -> None:
    meta = tomllib.loads((plugin / "pyproject.toml").read_text())["project"]
    requirements = [*meta.get("dependencies", []), *(r for extra in meta.get("optional-dependencies", {}).values() for r in extra)]
    names = {re.match(r"[A-Za-z0-9_.-]+", req).group() for req in requirements}
    assert not names & PACKAGE_DISTRIBUTIONS, f"{plugin.name} depends on {sorted(names & PACKAGE_DISTRIBUTIONS)}"
