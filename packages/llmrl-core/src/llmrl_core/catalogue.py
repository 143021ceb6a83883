"""Which first-party distribution provides each component and command: install hints for what is not installed.

The plugins themselves are the source: their hooks already declare every component they provide.
``catalogue.json`` beside this module is generated from those hooks (``python -m llmrl_core.catalogue
--write``) and shipped with llmrl-core, so a user without a plugin still learns which one to install;
a test compares it with what the installed first-party plugins register, so it cannot go stale.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import metadata, resources
from typing import Any

from llmrl_core.specs import KINDS

HOMEPAGE = "https://github.com/llmrl/llmrl"
"""A distribution whose metadata names this homepage, and is not marked private, is first-party."""
FILE = "catalogue.json"
REGENERATE = "uv run --all-packages python -m llmrl_core.catalogue --write"
_VERSION = re.compile(r"-v\d+$")


def is_first_party(distribution: str) -> bool:
    """Published from this repository: its Homepage is llmrl's and it is not ``Private :: Do Not Upload``."""
    try:
        meta = metadata.distribution(distribution).metadata
    except metadata.PackageNotFoundError:
        return False
    urls = {u.partition(",")[0].strip(): u.partition(",")[2].strip() for u in meta.get_all("Project-URL") or []}
    return urls.get("Homepage") == HOMEPAGE and "Private :: Do Not Upload" not in (meta.get_all("Classifier") or [])


def is_installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


@functools.cache
def load_catalogue() -> dict[str, dict[str, str]]:
    """The shipped catalogue: kind -> {name: distribution}; commands by their full name (``"sandbox serve"``)."""
    return json.loads(resources.files("llmrl_core").joinpath(FILE).read_text(encoding="utf-8"))


def build_catalogue(pm: Any = None) -> dict[str, dict[str, str]]:
    """The catalogue as the installed first-party plugins declare it (what ``--write`` saves)."""
    from llmrl_core.plugins import PluginManager

    if pm is None:  # every installed plugin, whatever LLMRL_PLUGINS / LLMRL_PLUGINS_EXCLUDE say
        pm = PluginManager(autoload=False)
        pm.load_entry_points()
    catalogue: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for comp in pm.components():
        if is_first_party(comp.distribution):
            catalogue[comp.kind][comp.name] = comp.distribution
    broken = [f for f in pm.failures if is_first_party(f.distribution)]
    if broken:  # a plugin that failed to load would silently drop out of the catalogue
        raise RuntimeError(f"first-party plugins failed to load: {'; '.join(f'{f.distribution}: {f.error}' for f in broken)}")
    return {kind: dict(sorted(names.items())) for kind, names in catalogue.items()}


def provider_of(kind: str, name: str) -> str | None:
    """The first-party distribution that provides ``name`` (an environment id also matches in another version)."""
    names = load_catalogue().get(kind, {})
    if name in names:
        return names[name]
    if kind == "environment":
        unversioned = _VERSION.sub("", name)
        return next((dist for env_id, dist in names.items() if _VERSION.sub("", env_id) == unversioned), None)
    return None


def install_hint(kind: str, name: str, pm: Any = None) -> str | None:
    """One sentence: which distribution provides ``name`` and how to get it; None for names llmrl does not ship.

    ``pm`` (the plugin manager that missed the name) tells an installed distribution that was kept out or
    failed to load from one whose installed version does not have the name.
    """
    dist = provider_of(kind, name)
    if dist is None:
        return None
    if not is_installed(dist):
        return f"It is provided by {dist}: pip install {dist}"
    if pm is not None and dist in pm.skipped:
        return f"It is provided by {dist}, installed but kept out by LLMRL_PLUGINS / LLMRL_PLUGINS_EXCLUDE."
    if pm is not None and any(f.distribution == dist for f in pm.failures):
        return f"It is provided by {dist}, installed but failed to load (see `llmrl plugins`)."
    return f"It is provided by {dist}, whose installed version does not have it: pip install -U {dist}"


def main(argv: list[str] | None = None) -> int:
    """``python -m llmrl_core.catalogue [--write]``: print the catalogue the installed plugins declare, or save it."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--write", action="store_true", help=f"overwrite llmrl_core/{FILE} (run it in the workspace)")
    args = parser.parse_args(argv)
    text = json.dumps(build_catalogue(), indent=2) + "\n"
    if args.write:
        path = Path(__file__).with_name(FILE)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
