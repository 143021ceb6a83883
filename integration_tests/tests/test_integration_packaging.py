"""Every workspace member carries what its PyPI page needs (the release is docs/releasing.md)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = sorted(p.parent for p in [*ROOT.glob("packages/*/pyproject.toml"), *ROOT.glob("plugins/*/*/pyproject.toml")])
PRIVATE = {"llmrl-example-plugin", "llmrl-integration-tests"}


def project(directory: Path) -> dict:
    return tomllib.loads((directory / "pyproject.toml").read_text())["project"]


def test_the_workspace_members_are_found() -> None:
    names = {project(m)["name"] for m in MEMBERS}
    assert {"llmrl-core", "llmrl-mpc", "llmrl-sandbox-local", "llmrl-env-gridworld"} <= names and len(names) >= 19


@pytest.mark.parametrize("member", [ROOT, *MEMBERS], ids=lambda m: m.name if m != ROOT else "llmrl")
def test_member_has_pypi_metadata(member: Path) -> None:
    meta = project(member)
    assert meta["description"] and meta["requires-python"] == ">=3.11"
    assert meta["license"] == "Apache-2.0" and meta["license-files"] == ["LICENSE"]
    license_text = (member / "LICENSE").read_text()  # a link to the root LICENSE in each member
    assert license_text.lstrip().startswith("Apache License") and "Version 2.0" in license_text
    assert (member / meta["readme"]).is_file()
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(meta["urls"])
    assert meta["urls"]["Source"].startswith(meta["urls"]["Homepage"])
    classifiers = meta["classifiers"]
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert ("Private :: Do Not Upload" in classifiers) == (meta["name"] in PRIVATE)


@pytest.mark.parametrize("member", [ROOT, *MEMBERS], ids=lambda m: m.name if m != ROOT else "llmrl")
def test_member_readme_links_work_on_pypi(member: Path) -> None:
    """PyPI renders the README alone: a relative link there points nowhere."""
    readme = (member / project(member)["readme"]).read_text()
    relative = [m for m in re.findall(r"\]\(([^)\s]+)\)", readme) if not m.startswith(("http://", "https://", "#"))]
    assert not relative, f"{member.name}/README.md links {relative}; use absolute https:// links"
