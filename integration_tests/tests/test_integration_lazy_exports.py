"""Every lazily exporting package lists its names in dir() without importing its heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

import pytest

CASES = [
    ("llmrl_rewardgen", "CodegenLoop", ("torch",)),
    ("llmrl_rewardgen.lare", "LatentReplayBuffer", ("torch", "stable_baselines3")),
    ("llmrl_mpc", "SamplingPlanner", ("mujoco", "torch")),
    ("llmrl_mpc.robots", "Quadruped", ("mujoco", "torch")),  # importing it registers its gymnasium ids
    ("llmrl_env_gridworld", "DarkRoomEnv", ("torch",)),  # importing it may register its gymnasium ids
    ("llmrl_env_mujoco", "make_episodic", ("mujoco",)),
]


@pytest.mark.parametrize(("module", "name", "heavy"), CASES)
def test_dir_shows_lazy_names_and_imports_nothing_heavy(module: str, name: str, heavy: tuple[str, ...]) -> None:
    code = (f"import sys, {module} as m\n"
            f"print({name!r} in dir(m), [h for h in {list(heavy)!r} if h in sys.modules])\n"
            f"print(getattr(m, {name!r}).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    listed, loaded = out.stdout.splitlines()
    assert listed == "True []" and loaded == name
