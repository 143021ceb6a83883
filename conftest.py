"""Repository-wide pytest hooks: tests marked ``gpu`` skip cleanly on machines without CUDA,
``run_doc_snippet`` runs a code block of a docs page exactly as a reader would paste it, and one
Ray cluster serves every test that needs one."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmrl_core.testing.fixtures import ray_cluster  # noqa: F401  (a session fixture: one cluster for every test)

DOCS = Path(__file__).resolve().parent / "docs"
# A runnable block on a docs page: an HTML comment (invisible on the site) right before the fence.
_SNIPPET = re.compile(r"<!-- snippet: (?P<name>[\w-]+) -->\n```(?P<lang>python|bash)\n(?P<code>.*?)\n```", re.S)


@functools.cache
def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs a CUDA GPU (marked gpu)")
    for item in items:
        if "gpu" in item.keywords and not _cuda_available():
            item.add_marker(skip)


def doc_snippets(page: str) -> dict[str, tuple[str, str]]:
    """The runnable blocks of ``docs/<page>``: name -> (language, code)."""
    return {m["name"]: (m["lang"], m["code"]) for m in _SNIPPET.finditer((DOCS / page).read_text())}


@pytest.fixture
def run_doc_snippet(tmp_path):
    """``run(page, name)``: run that block in a fresh process in a temp dir, one thread; fail with its stderr."""

    def run(page: str, name: str, *, timeout_s: float = 600) -> subprocess.CompletedProcess:
        snippets = doc_snippets(page)
        assert name in snippets, f"docs/{page} has no block marked <!-- snippet: {name} -->"
        lang, code = snippets[name]
        script = tmp_path / f"{name}.{'py' if lang == 'python' else 'sh'}"
        script.write_text(code + "\n")
        argv = [sys.executable, str(script)] if lang == "python" else ["bash", "-euo", "pipefail", str(script)]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=timeout_s, env=env)
        assert done.returncode == 0, f"docs/{page} snippet {name!r} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        return done

    return run
