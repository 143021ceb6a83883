"""The ways outside RL code makes these envs, each in a fresh interpreter that never touches llmrl's registry."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec

import pytest


def run_fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_the_plugin_then_gymnasium_make() -> None:
    report = run_fresh(
        "import json, gymnasium as gym, llmrl_env_gridworld\n"
        "env = gym.make('llmrl/DarkRoomHard-v0')\n"
        "print(json.dumps({'size': env.unwrapped.size, 'reward_once': env.unwrapped.reward_once,\n"
        "                  'cls': type(env.unwrapped).__name__}))\n")
    assert report == {"size": 17, "reward_once": True, "cls": "DarkRoomEnv"}  # the spec's kwargs arrived


def test_cleanrl_style_vector_env_from_args_env_id() -> None:
    report = run_fresh("""
import argparse, json
import gymnasium as gym
import llmrl_env_gridworld  # noqa: F401 - registers the llmrl/ ids

def make_env(env_id, seed):
    def thunk():
        env = gym.wrappers.RecordEpisodeStatistics(gym.make(env_id))
        env.action_space.seed(seed)
        return env
    return thunk

args = argparse.Namespace(env_id="llmrl/DarkRoom-v0", num_envs=2, seed=1)
envs = gym.vector.SyncVectorEnv([make_env(args.env_id, args.seed + i) for i in range(args.num_envs)])
obs, _ = envs.reset(seed=args.seed)
lengths = []
for _ in range(45):
    obs, reward, terminated, truncated, infos = envs.step(envs.action_space.sample())
    if "episode" in infos:
        lengths += infos["episode"]["l"][infos["_episode"]].tolist()
print(json.dumps({"obs_shape": list(obs.shape), "lengths": lengths}))
""")
    # two envs, 20-step episodes, one reset step between them (next-step autoreset): two episodes each
    assert report == {"obs_shape": [2, 2], "lengths": [20, 20, 20, 20]}


def test_module_colon_id_form_in_spawned_workers() -> None:
    """A spawned worker is a new interpreter that imported nothing: the "module:id" form registers the ids there."""
    report = run_fresh("""
import functools, json
import gymnasium as gym

if __name__ == "__main__":
    make = functools.partial(gym.make, "llmrl_env_gridworld:llmrl/DarkRoom-v0")
    envs = gym.vector.AsyncVectorEnv([make, make], context="spawn")
    obs, _ = envs.reset(seed=0)
    envs.close()
    print(json.dumps({"obs": obs.tolist()}))
""")
    assert report == {"obs": [[4, 4], [4, 4]]}  # both workers built the 9x9 room and start at its centre


@pytest.mark.skipif(find_spec("stable_baselines3") is None, reason="Stable-Baselines3 is not installed")
def test_stable_baselines3_make_vec_env() -> None:
    report = run_fresh("""
import json
import llmrl_env_gridworld  # noqa: F401 - registers the llmrl/ ids
from stable_baselines3.common.env_util import make_vec_env

venv = make_vec_env("llmrl/DarkKeyToDoor-v0", n_envs=3, seed=0)
obs = venv.reset()
print(json.dumps({"n": venv.num_envs, "obs_shape": list(obs.shape), "horizon": venv.envs[0].unwrapped.max_steps}))
""")
    assert report == {"n": 3, "obs_shape": [3, 2], "horizon": 50}
