"""The quadruped spec and CLI blocks on docs/llmrl-mpc.md, and the headless render check, run as pasted."""

from __future__ import annotations

import json
import re

import pytest

pytest.importorskip("mujoco")


def test_example_quadruped_spec_runs_in_python_and_through_the_cli(run_doc_snippet, tmp_path) -> None:
    out = run_doc_snippet("llmrl-mpc.md", "quadruped-spec").stdout
    match = re.search(r"height ([\d.]+) m, forward speed (-?[\d.]+) m/s", out)
    assert match and 0.3 < float(match.group(1)) < 0.7, out  # standing, not fallen
    assert json.loads((tmp_path / "walk.json").read_text())["calls"][-1] == {"fn": "execute_plan", "plan_duration": 4}
    run_doc_snippet("llmrl-mpc.md", "quadruped-cli")
    assert json.loads((tmp_path / "walk-metrics.json").read_text())
    assert (tmp_path / "walk.mp4").stat().st_size > 1000


def test_headless_render_check(run_doc_snippet) -> None:
    out = run_doc_snippet("robots.md", "headless-render").stdout
    assert re.search(r"rendered \(\d+, \d+, 3\) uint8", out), out
