"""LaRe under Stable-Baselines3: the sandboxed latent function, the wrapper and the relabelling replay buffer."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")
pytest.importorskip("mujoco")

from llmrl_core import make_env  # noqa: E402
from llmrl_rewardgen.lare.config import LaReTrainConfig  # noqa: E402
from llmrl_rewardgen.lare.evaluator import SandboxedLatentFunction  # noqa: E402
from llmrl_rewardgen.lare.examples import worked_example, worked_example_source  # noqa: E402
from llmrl_rewardgen.lare.train import train  # noqa: E402
from llmrl_rewardgen.lare.wrappers import LatentRewardWrapper, make_episodic_env  # noqa: E402


def random_transitions(env_id: str, n: int, seed: int):
    """Observations, actions and the task's dense rewards under a random policy."""
    env = make_env(env_id)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    observations, actions, rewards = [], [], []
    for _ in range(n):
        act = env.action_space.sample()
        observations.append(obs)
        actions.append(act)
        obs, r, term, trunc, _ = env.step(act)
        rewards.append(r)
        if term or trunc:
            obs, _ = env.reset()
    return np.array(observations), np.array(actions), np.array(rewards)


def test_wrappers_deliver_episodic_reward_and_episode_factors(local_sandbox):
    latent = SandboxedLatentFunction(worked_example_source("Reacher-v5"), local_sandbox, 4)
    env = LatentRewardWrapper(make_episodic_env("Reacher-v5"), latent, mode="episode")  # via the registry
    env.reset(seed=0)
    rewards, dense = [], []
    for _ in range(50):
        _, r, term, trunc, info = env.step(env.action_space.sample())
        rewards.append(r)
        dense.append(info["dense_reward"])
    assert trunc and all(r == 0.0 for r in rewards[:-1])
    assert rewards[-1] == pytest.approx(sum(dense)) == pytest.approx(info["episode_return"])
    assert info["episode_latent_factors"].shape == (50, 4) and latent.calls == 1  # one sandbox call per episode


def test_make_episodic_env_names_the_plugin_when_a_task_has_no_episodic_version():
    with pytest.raises(ValueError, match=r"llmrl/EpisodicHopper-v5.*llmrl-env-mujoco"):
        make_episodic_env("Hopper-v5")


def test_lare_trains_td3_on_episodic_reacher_through_the_sandbox(local_sandbox, tmp_path):
    """The decoder, trained online from episodic returns only, learns a proxy of the hidden dense reward."""
    latent = SandboxedLatentFunction(worked_example_source("Reacher-v5"), local_sandbox, 4)
    cfg = LaReTrainConfig(env="Reacher-v5", algo="td3", steps=1500, learning_starts=500, eval_every=1500,
                          eval_episodes=2, baseline="lare", head="linear", decoder="rrd-unbiased", seed=0,
                          output=str(tmp_path / "run"))
    result = train(cfg, latent)
    assert result.eval_steps == [1500] and np.isfinite(result.final_return)
    assert result.latent_calls == 30 and latent.calls == 30  # 30 episodes of 50 steps, one sandbox call each
    assert len(result.train_episode_returns) == 30
    obs, act, dense = random_transitions("Reacher-v5", 1000, seed=1)
    proxy = worked_example("Reacher-v5")(obs, act) @ np.array(result.decoder_weights)
    assert np.corrcoef(proxy, dense)[0, 1] > 0.8  # measured 0.97 with this seed


def test_step_mode_returns_the_decoders_proxy_reward():
    from llmrl_rewardgen.lare.decoder import RewardDecoder

    decoder = RewardDecoder(4, "linear")
    with torch.no_grad():
        decoder.net.weight[:] = torch.tensor([[1.0, 0.0, 0.0, 0.5]])
    latent = worked_example("Reacher-v5")  # trusted, hand-written: in-process is allowed
    env = LatentRewardWrapper(make_env("Reacher-v5"), latent, decoder=decoder, mode="step")
    obs, _ = env.reset(seed=0)
    act = env.action_space.sample()
    _, reward, _, _, info = env.step(act)
    factors = latent(obs[None], act[None])[0]
    assert info["latent_factors"] == pytest.approx(factors)
    assert reward == pytest.approx(float(decoder.predict(factors[None])[0]))
    assert "env_reward" in info and info["env_reward"] != reward

