"""The instruction suites of ``benchmarks/mpc.py``: every expert spec validates against its task's schema, and
every check names a metric the task reports (read from a real one-step trace of the robot)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

mujoco = pytest.importorskip("mujoco")

from llmrl_mpc.robots import make_robot  # noqa: E402
from llmrl_mpc.trajectory import Trajectory  # noqa: E402

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
SUITES = {"tuning": "mpc_suite.json", "heldout": "mpc_suite_heldout.json"}


def _entries(name: str) -> list[dict]:
    return json.loads((BENCHMARKS / SUITES[name]).read_text())


def _reported_metrics(task) -> set[str]:
    data = mujoco.MjData(task.model)
    task.home(data)
    mujoco.mj_step(task.model, data)
    return set(task.metrics(Trajectory.from_data(task.layout, task.model, data)))


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_suite_specs_validate_and_checks_name_reported_metrics(suite: str) -> None:
    entries = _entries(suite)
    tasks = {name: make_robot(name) for name in sorted({e["task"] for e in entries})}
    metrics = {name: _reported_metrics(task) for name, task in tasks.items()}
    for e in entries:
        spec = tasks[e["task"]].validate(e["spec"])  # raises RewardSpecError naming the bad field
        assert spec.calls[-1].fn == "execute_plan", e["id"]
        for check in e["checks"]:
            assert check["metric"] in metrics[e["task"]], (e["id"], check["metric"])
            assert check["tol"] > 0 and np.isfinite(check["target"]), (e["id"], check)


def test_heldout_suite_is_new_and_large_enough() -> None:
    tuning, heldout = _entries("tuning"), _entries("heldout")
    assert len(heldout) >= 8
    assert not {e["id"] for e in tuning} & {e["id"] for e in heldout}
    assert not {e["instruction"] for e in tuning} & {e["instruction"] for e in heldout}
    assert {e["task"] for e in heldout} == {"quadruped", "manipulator"}
