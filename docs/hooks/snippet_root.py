"""MkDocs hook: resolve ``--8<--`` includes (package READMEs) from the repository root, wherever mkdocs runs.

pymdownx.snippets reads its ``base_path`` relative to the working directory; pinning it to the
directory of mkdocs.yml makes ``mkdocs build -f /path/to/mkdocs.yml`` work from anywhere.
"""

from __future__ import annotations

from pathlib import Path


def on_config(config):
    root = Path(config.config_file_path).resolve().parent
    config["mdx_configs"].setdefault("pymdownx.snippets", {})["base_path"] = [str(root)]
    return config
