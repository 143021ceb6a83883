"""Training on episodic-reward MuJoCo with Stable-Baselines3 (TD3/SAC): LaRe and its baselines.

Baselines (``baseline``): ``lare`` (latent factors -> decoder -> relabelled replay),
``rrd-state`` (the same decoder on the raw state and action: RRD), ``episodic`` (the
learner sees only the episodic reward), ``dense`` (the env's own per-step reward: a
reference, not a competitor). Every run is evaluated by the task's episodic return.

A run writes the run kit's directory (``llmrl_core.runs.RunDir``): ``config.yaml``,
``metrics.jsonl`` (one line per training episode), ``eval.jsonl`` (one per evaluation, with the
linear decoder's weights), ``curves.png``, ``summary.md``, the trained ``agent.zip``
(Stable-Baselines3's format), and every ``save_every`` steps a
checkpoint that ``resume`` continues from exactly (``llmrl_rewardgen.lare.checkpoint``).
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from llmrl_core.events import Reporter, or_silent
from llmrl_core.runs import RunDir, prepare_run
from llmrl_rewardgen.lare.config import LaReTrainConfig
from llmrl_rewardgen.lare.evaluator import LatentFunction, StateActionFactors

log = logging.getLogger(__name__)

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


def resolve_latent(cfg: LaReTrainConfig, stack: ExitStack, report: Reporter | None = None) -> LatentFunction:
    """The latent function ``cfg.latent`` names (an LLM-written one in a sandbox that ``stack`` closes)."""
    from llmrl_core import ConfigError, get_sandbox

    emit = or_silent(report)
    if cfg.latent == "example":
        from llmrl_rewardgen.lare.examples import worked_example

        emit("status", message=f"latent function: the HAND-WRITTEN worked example for {cfg.env}")
        return worked_example(cfg.env)
    from llmrl_rewardgen.lare.generate import GeneratedLatentFunction, find_cached

    model = cfg.model or "default"
    path = find_cached(cfg.env, cfg.provider, model, cfg.seed) if cfg.latent == "cache" else Path(cfg.latent)
    if path is None or not path.is_file():
        where = "cached" if path is None else f"at {path}"
        raise ConfigError(
            f"no generated latent function {where}. Run `llmrl lare generate --env {cfg.env} --provider {cfg.provider}"
            f"{' --model ' + cfg.model if cfg.model else ''} --seed {cfg.seed}` first, or use --latent example "
            "(hand-written) or --baseline rrd-state."
        )
    box = stack.enter_context(get_sandbox(cfg.sandbox))
    emit("status", message=f"latent function: {path} (evaluated in the {cfg.sandbox!r} sandbox)")
    return GeneratedLatentFunction.read(path).load(box)


def train(cfg: LaReTrainConfig, latent: LatentFunction | None = None, *, report: Reporter | None = None,
          resume: bool = False) -> TrainResult:
    """Train one agent and write its run directory (``cfg.output``).

    ``latent``: the latent function of ``baseline='lare'``; None loads the one ``cfg.latent`` names.
    ``report`` gets ``progress`` (environment steps), ``eval`` and ``status`` events (``llmrl_core.events``).
    ``resume``: continue the run in ``cfg.output`` from its last checkpoint (its saved config wins; only
    the fields set explicitly on ``cfg`` change it, ``steps`` to train on).
    """
    from llmrl_core import ConfigError
    from llmrl_rewardgen.lare import checkpoint

    if "{time}" in cfg.output:  # the default: a new directory per run
        if resume:
            raise ConfigError("--resume needs --output: the directory of the run to continue")
        cfg = cfg.model_copy(update={"output": cfg.output.replace("{time}", time.strftime("%Y%m%d-%H%M%S"))})
    run = RunDir(cfg.output)
    last = checkpoint.latest(run.checkpoints)
    cfg, _ = prepare_run(cfg, run, resume=resume, can_resume=last is not None)
    emit = or_silent(report)
    with ExitStack() as stack:
        if cfg.baseline == "lare" and latent is None:
            latent = resolve_latent(cfg, stack, emit)
        state = checkpoint.load(last) if resume and last is not None else None
        result = _train(cfg, latent, run, emit, state)
    write_run_files(run, result)
    return result


def _train(cfg: LaReTrainConfig, latent: LatentFunction | None, run: RunDir, emit: Reporter,
           state: dict[str, Any] | None = None) -> TrainResult:
    import torch
    from stable_baselines3 import SAC, TD3
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.noise import NormalActionNoise

    from llmrl_core import ConfigError, make_env
    from llmrl_rewardgen.lare import checkpoint
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
    recorder = checkpoint.ResetRngRecorder(env)
    env = Monitor(recorder)
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

    result = TrainResult(config=cfg.model_dump(mode="json"))
    start, saved_at = time.monotonic(), 0
    if state is not None:
        try:
            extra = checkpoint.restore(model, decoder, recorder, state)
        except (RuntimeError, KeyError, ValueError) as exc:  # the agent built from this config is another one
            raise ConfigError(f"--resume: the checkpoint in {run.checkpoints} does not fit the agent this config "
                              f"builds ({type(exc).__name__}: {str(exc)[:300]}); resume without changing the "
                              "algorithm, baseline, head or network settings") from None
        result = TrainResult(**{**extra["result"], "config": result.config})
        stats.update(extra["latent_stats"])
        start, saved_at = start - extra["seconds"], model.num_timesteps
        for path in (run.metrics, run.evals):  # a killed run logged past its checkpoint
            run.rewind_metrics(saved_at, path=path)
        emit("status", message=f"resuming at step {saved_at} of {cfg.steps}")
    run.write_config(cfg)  # after a resume's checks: a refused one leaves the run as it was
    job = f"{cfg.env} {cfg.baseline} seed {cfg.seed}"

    class Progress(BaseCallback):
        due = False  # an episode ended after save_every steps: checkpoint once this step's update is done

        def _on_rollout_start(self) -> None:
            nonlocal saved_at
            if self.due:
                extra = {"result": result.to_dict(), "latent_stats": dict(stats), "seconds": time.monotonic() - start}
                checkpoint.save(run.checkpoints, self.num_timesteps,
                                checkpoint.capture(self.model, decoder, recorder, extra))
                self.due, saved_at = False, self.num_timesteps

        def _on_step(self) -> bool:
            step = self.num_timesteps
            for info in self.locals.get("infos", []):
                if "episode" in info:
                    self.due = self.due or bool(cfg.save_every and step - saved_at >= cfg.save_every)
                    ret = float(info.get("episode_return", info["episode"]["r"]))
                    result.train_episode_returns.append(ret)
                    run.log_metrics({"step": step, "episode": len(result.train_episode_returns), "episode_return": ret,
                                     "seconds": round(time.monotonic() - start, 2)})
            if step % cfg.eval_every == 0 or step == cfg.steps:
                ret = evaluate_policy(self.model, eval_env, cfg.eval_episodes, seed=10_000 + cfg.seed)
                result.eval_steps.append(step)
                result.eval_returns.append(ret)
                record: dict[str, Any] = {"step": step, "eval_return": ret, "episodes": cfg.eval_episodes,
                                          "seconds": round(time.monotonic() - start, 2),
                                          "latent_seconds": round(stats["seconds"], 3), "latent_calls": int(stats["calls"])}
                if decoder is not None and cfg.head == "linear":
                    record["decoder_weights"] = [float(w) for w in decoder.linear_weights()[0]]
                run.log_eval(record)
                emit("eval", stage=f"step {step}", results=record)
            note = f"eval {result.eval_returns[-1]:.1f}" if result.eval_returns else ""
            emit("progress", done=step, total=cfg.steps, job=job, note=note)
            return True

    emit("status", message=f"training {job}")
    try:
        model.learn(total_timesteps=cfg.steps - model.num_timesteps, callback=Progress(),
                    reset_num_timesteps=state is None)
    finally:
        env.close()
        eval_env.close()
    if run.writer:  # the trained agent, in Stable-Baselines3's format: SAC.load / TD3.load
        model.save(run.root / "agent.zip")
    result.seconds = time.monotonic() - start
    result.latent_seconds, result.latent_calls = stats["seconds"], int(stats["calls"])
    if decoder is not None and cfg.head == "linear":
        result.decoder_weights = [float(w) for w in decoder.linear_weights()[0]]
    return result


def write_run_files(run: RunDir, result: TrainResult) -> None:
    """``curves.png`` and ``summary.md`` of a finished run (config, metrics and evals are written as it runs)."""
    cfg = result.config
    plot_curves({cfg["baseline"]: [result]}, run.curves, title=f"llmrl/Episodic{cfg['env']}")
    latent = f", latent {cfg['latent']}" if cfg["baseline"] == "lare" else ""
    heads = f", {cfg['head']} head, {cfg['decoder']} loss" if cfg["baseline"] in ("lare", "rrd-state") else ""
    lines = [
        f"# LaRe training: {cfg['baseline']} on llmrl/Episodic{cfg['env']}", "",
        f"{cfg['algo'].upper()}, {cfg['steps']} steps ({cfg['learning_starts']} random), seed {cfg['seed']}{latent}{heads}.",
        "", f"- final evaluation return: {result.final_return:.2f} (dense return, {cfg['eval_episodes']} episodes)",
        f"- wall time: {result.seconds:.0f} s ({cfg['steps'] / max(result.seconds, 1e-9):.1f} steps/s); latent "
        f"function: {result.latent_calls} calls, {result.latent_seconds:.2f} s",
        f"- training episodes: {len(result.train_episode_returns)}",
    ]
    if result.decoder_weights is not None:
        lines.append("- linear decoder weights (raw factor units): " + ", ".join(f"{w:.3f}" for w in result.decoder_weights))
    lines += ["", "| step | evaluation return |", "|---:|---:|"]
    lines += [f"| {s} | {r:.2f} |" for s, r in zip(result.eval_steps, result.eval_returns, strict=True)]
    run.write_summary("\n".join(lines) + "\n")


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
