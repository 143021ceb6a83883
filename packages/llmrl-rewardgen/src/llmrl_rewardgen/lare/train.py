"""Training on episodic-reward MuJoCo with Stable-Baselines3 (TD3/SAC): LaRe and its baselines.

Baselines (``baseline``): ``lare`` (latent factors -> decoder -> relabelled replay),
``rrd-state`` (the same decoder on the raw state and action: RRD), ``episodic`` (the
learner sees only the episodic reward), ``dense`` (the env's own per-step reward: a
reference, not a competitor). Every run is evaluated by the task's episodic return.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from llmrl_rewardgen.lare.evaluator import LatentFunction, StateActionFactors

log = logging.getLogger(__name__)

Baseline = Literal["lare", "rrd-state", "episodic", "dense"]


class TrainConfig(BaseModel):
    """One training run. Defaults follow LaRe's MuJoCo setup, except the step budget (a CPU's)."""

    model_config = ConfigDict(extra="forbid")

    env: str = Field("HalfCheetah-v5", description="Gymnasium MuJoCo id; trained on its llmrl/Episodic<id> version.")
    algo: Literal["td3", "sac"] = Field("td3", description="Stable-Baselines3 algorithm.")
    steps: int = Field(100_000, ge=1, description="Environment steps.")
    baseline: Baseline = Field("lare", description="lare | rrd-state | episodic | dense.")
    decoder: Literal["rd", "rrd", "rrd-unbiased"] = Field("rrd-unbiased", description="Return-decomposition loss.")
    head: Literal["linear", "mlp"] = Field("mlp", description="Decoder head (mlp: 3 x 256, the public code's).")
    decoder_lr: float = Field(3e-4, gt=0)
    decoder_batch_episodes: int = Field(16, ge=1, description="Episodes per decoder update.")
    decoder_every: int = Field(1, ge=1, description="One decoder update every this many policy updates.")
    rrd_k: int = Field(64, ge=2, description="Steps sampled per episode by RRD.")
    seed: int = 0
    learning_starts: int = Field(10_000, ge=0, description="Random-action steps before learning (paper: 10k).")
    batch_size: int = Field(256, ge=1)
    gamma: float = Field(0.99, gt=0, le=1)
    tau: float = Field(0.005, gt=0, le=1)
    learning_rate: float = Field(3e-4, gt=0)
    net_arch: list[int] = Field(default_factory=lambda: [256, 256])
    eval_every: int = Field(5000, ge=1, description="Evaluate the deterministic policy every this many steps.")
    eval_episodes: int = Field(5, ge=1)
    torch_threads: int = Field(1, ge=1, description="torch threads (1 is fastest on a small shared CPU).")


@dataclass
class TrainResult:
    """Curves and costs of one run."""

    config: dict[str, Any]
    eval_steps: list[int] = field(default_factory=list)
    eval_returns: list[float] = field(default_factory=list)
    train_episode_returns: list[float] = field(default_factory=list)
    seconds: float = 0.0
    latent_seconds: float = 0.0
    latent_calls: int = 0
    decoder_weights: list[float] | None = None

    @property
    def final_return(self) -> float:
        return self.eval_returns[-1] if self.eval_returns else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _timed(latent: LatentFunction) -> tuple[LatentFunction, dict[str, float]]:
    """Wrap ``latent`` so the time spent computing factors is measured."""
    stats = {"seconds": 0.0, "calls": 0}

    class Timed(LatentFunction):
        n_factors = latent.n_factors

        def __call__(self, observations, actions):
            start = time.perf_counter()
            try:
                return latent(observations, actions)
            finally:
                stats["seconds"] += time.perf_counter() - start
                stats["calls"] += 1

    return Timed(), stats


def evaluate_policy(model, env, episodes: int, seed: int) -> float:
    """Mean episodic return (sum of the task's dense rewards) of the deterministic policy."""
    total = 0.0
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done, ret = False, 0.0
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, term, trunc, _ = env.step(action)
            ret += float(reward)
            done = term or trunc
        total += ret
    return total / episodes


def train(
    cfg: TrainConfig,
    latent: LatentFunction | None = None,
    *,
    run_dir: Path | None = None,
    on_progress: Callable[[int, dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train one agent; ``latent`` is required for ``baseline='lare'``."""
    import torch
    from stable_baselines3 import SAC, TD3
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.noise import NormalActionNoise

    from llmrl_core import make_env
    from llmrl_rewardgen.lare.decoder import RewardDecoder
    from llmrl_rewardgen.lare.replay import LatentReplayBuffer
    from llmrl_rewardgen.lare.wrappers import LatentRewardWrapper, make_episodic_env

    torch.set_num_threads(cfg.torch_threads)
    env = make_env(cfg.env) if cfg.baseline == "dense" else make_episodic_env(cfg.env)
    eval_env = make_env(cfg.env)
    if cfg.baseline == "rrd-state":
        latent = StateActionFactors(env.observation_space.shape[0], env.action_space.shape[0])
    if cfg.baseline == "lare" and latent is None:
        raise ValueError("baseline 'lare' needs a latent function: generate one or use a worked example")
    stats = {"seconds": 0.0, "calls": 0}
    horizon = env.spec.max_episode_steps if env.spec is not None else None
    if cfg.baseline in ("lare", "rrd-state") and horizon and cfg.learning_starts < horizon:
        log.warning(
            "learning_starts=%d is shorter than one %s episode (%d steps): until an episode ends the decoder has no "
            "data and updates use the episodic reward itself", cfg.learning_starts, cfg.env, horizon,
        )
    kwargs: dict[str, Any] = {}
    decoder = None
    if cfg.baseline in ("lare", "rrd-state"):
        assert latent is not None
        latent, stats = _timed(latent)
        env = LatentRewardWrapper(env, latent, mode="episode")
        decoder = RewardDecoder(latent.n_factors, cfg.head, method=cfg.decoder, lr=cfg.decoder_lr, rrd_k=cfg.rrd_k,
                                seed=cfg.seed)
        kwargs["replay_buffer_class"] = LatentReplayBuffer
        kwargs["replay_buffer_kwargs"] = dict(decoder=decoder, batch_episodes=cfg.decoder_batch_episodes,
                                              decoder_every=cfg.decoder_every)
    env = Monitor(env)
    env.reset(seed=cfg.seed)
    env.action_space.seed(cfg.seed)
    common = dict(
        learning_starts=cfg.learning_starts, batch_size=cfg.batch_size, gamma=cfg.gamma, tau=cfg.tau,
        learning_rate=cfg.learning_rate, buffer_size=max(cfg.steps, 1000), seed=cfg.seed, device="cpu", verbose=0,
        policy_kwargs=dict(net_arch=list(cfg.net_arch)), **kwargs,
    )
    if cfg.algo == "td3":
        n = env.action_space.shape[0]
        model = TD3("MlpPolicy", env, action_noise=NormalActionNoise(np.zeros(n), 0.1 * np.ones(n)), **common)
    else:
        model = SAC("MlpPolicy", env, **common)

    result = TrainResult(config=cfg.model_dump())
    start = time.monotonic()

    class Progress(BaseCallback):
        def _on_step(self) -> bool:
            for info in self.locals.get("infos", []):
                if "episode" in info:
                    result.train_episode_returns.append(float(info.get("episode_return", info["episode"]["r"])))
            step = self.num_timesteps
            if step % cfg.eval_every == 0 or step == cfg.steps:
                ret = evaluate_policy(self.model, eval_env, cfg.eval_episodes, seed=10_000 + cfg.seed)
                result.eval_steps.append(step)
                result.eval_returns.append(ret)
                log.info("%s %s seed %d: step %d, eval return %.1f", cfg.env, cfg.baseline, cfg.seed, step, ret)
            if on_progress is not None:
                on_progress(step, {"eval": result.eval_returns[-1] if result.eval_returns else None})
            return True

    try:
        model.learn(total_timesteps=cfg.steps, callback=Progress())
    finally:
        env.close()
        eval_env.close()
    result.seconds = time.monotonic() - start
    result.latent_seconds, result.latent_calls = stats["seconds"], int(stats["calls"])
    if decoder is not None and cfg.head == "linear":
        result.decoder_weights = [float(w) for w in decoder.linear_weights()[0]]
    if run_dir is not None:
        save_run(result, Path(run_dir))
    return result


def save_run(result: TrainResult, run_dir: Path) -> None:
    """metrics.json and curve.png in ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "metrics.json").write_text(json.dumps(result.to_dict(), indent=1))
    plot_curves({result.config["baseline"]: [result]}, run_dir / "curve.png", title=result.config["env"])


def plot_curves(runs: dict[str, list[TrainResult]], path: Path, title: str = "") -> Path:
    """Mean (and min-max band over seeds) evaluation return against steps, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, results in runs.items():
        results = [r for r in results if r.eval_steps]
        if not results:
            continue
        n = min(len(r.eval_steps) for r in results)
        steps = np.array(results[0].eval_steps[:n])
        values = np.array([r.eval_returns[:n] for r in results])
        ax.plot(steps, values.mean(0), label=f"{label} (n={len(results)})")
        ax.fill_between(steps, values.min(0), values.max(0), alpha=0.2)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("episodic return (evaluation)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
