"""Training AD (and ED, on expert histories): cross-entropy on the source's actions.

Batches are random windows of ``context_episodes`` episodes cut from the learning
histories, so the model sees the policy improve inside its context. Adam (0.9, 0.99),
gradient clipping, warm-up then cosine decay, as in the paper.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from llmrl_core.errors import ConfigError
from llmrl_seqmodel.checkpoint import FitCheckpoints
from llmrl_seqmodel.config import ADTrainConfig, FitConfig, ModelConfig
from llmrl_seqmodel.history import Histories

log = logging.getLogger(__name__)


@dataclass
class TrainStats:
    steps: int
    final_loss: float
    seconds: float
    tokens_per_s: float
    losses: list[float]


class WindowSampler:
    """Random context windows from ragged histories, as numpy index arithmetic."""

    def __init__(self, hist: Histories, length: int, seed: int):
        self.hist, self.length = hist, length
        lengths = np.diff(hist.offsets)
        if lengths.min() < length:
            raise ValueError(
                f"a history has {lengths.min()} steps, fewer than the context of {length}; "
                "collect more episodes per history or shorten model.context_episodes"
            )
        n_actions = int(hist.meta["n_actions"])
        starts = np.zeros(len(hist.actions), dtype=bool)
        starts[hist.offsets[:-1]] = True
        self.prev_action = np.where(starts, n_actions, np.roll(hist.actions, 1)).astype(np.int64)
        self.prev_reward = np.where(starts, 0.0, np.roll(hist.rewards, 1)).astype(np.float32)
        self.lengths = lengths
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> dict[str, np.ndarray]:
        h = self.rng.integers(len(self.lengths), size=size)
        s = (self.rng.random(size) * (self.lengths[h] - self.length + 1)).astype(np.int64)
        idx = (self.hist.offsets[h] + s)[:, None] + np.arange(self.length)
        return {
            "obs": self.hist.obs[idx].astype(np.int64),
            "prev_action": self.prev_action[idx],
            "prev_reward": self.prev_reward[idx],
            "step": self.hist.steps[idx].astype(np.int64),
            "target": self.hist.actions[idx].astype(np.int64),
        }


def build_model(hist: Histories, cfg: ModelConfig):
    from llmrl_seqmodel.model import PolicySpec, SeqPolicy

    episode_len = int(hist.meta["episode_len"])
    return SeqPolicy(PolicySpec(
        obs_nvec=list(hist.meta["obs_nvec"]), n_actions=int(hist.meta["n_actions"]), episode_len=episode_len,
        n_positions=cfg.context_episodes * episode_len, n_embd=cfg.n_embd, n_layer=cfg.n_layer, n_head=cfg.n_head,
        n_inner=cfg.n_inner, dropout=cfg.dropout, attn_dropout=cfg.attn_dropout, token_mask=cfg.token_mask,
    ))


def lr_at(step: int, cfg: FitConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def fit(model, batches: Callable[[], dict[str, np.ndarray]], cfg: FitConfig,
        on_step: Callable[[int, float], None] | None = None, loss: Callable | None = None, *,
        rng: np.random.Generator | None = None, checkpoints: FitCheckpoints | None = None) -> TrainStats:
    """The shared training loop: ``batches()`` yields numpy arrays, one of them named ``target``.

    ``loss(logits, target)`` replaces the default: cross-entropy averaged over every target token.
    ``checkpoints``: write resumable state every ``checkpoints.every`` steps, or continue from the
    last one; ``rng`` is the generator ``batches`` draws from, saved with it so a resumed run draws
    the same batches.
    """
    import torch

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.99), weight_decay=cfg.weight_decay)
    ce = torch.nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing, ignore_index=-100)
    loss_fn = loss or (lambda logits, target: ce(logits.reshape(-1, logits.shape[-1]), target.reshape(-1)))
    model.train()
    losses, tokens, first, spent = [], 0, 0, 0.0
    if checkpoints is not None and checkpoints.resume:
        state = checkpoints.load()
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError) as exc:  # the model built from these settings is another one
            raise ConfigError(f"--resume: {checkpoints.latest()} does not fit the model these settings build "
                              f"({str(exc)[:300]}); resume without changing the model's settings") from None
        torch.set_rng_state(state["torch_rng"])
        if rng is not None:
            rng.bit_generator.state = state["numpy_rng"]
        first, losses, tokens, spent = state["step"], state["losses"], state["tokens"], state["seconds"]
        log.info("resuming %s at step %d of %d", checkpoints.name, first, cfg.steps)
    elif checkpoints is not None:
        checkpoints.clear()
    start = time.perf_counter() - spent
    for step in range(first, cfg.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        b = {k: torch.from_numpy(v) for k, v in batches().items()}
        target = b.pop("target")
        logits = model(**b)
        value = loss_fn(logits, target)
        opt.zero_grad(set_to_none=True)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        tokens += target.numel()  # every position is processed, predicted or not
        losses.append(float(value.detach()))
        if on_step:
            on_step(step, losses[-1])
        done = step + 1
        if checkpoints is not None and checkpoints.every and done % checkpoints.every == 0 and done < cfg.steps:
            checkpoints.save(done, {"step": done, "model": model.state_dict(), "optimizer": opt.state_dict(),
                                    "torch_rng": torch.get_rng_state(), "losses": losses, "tokens": tokens,
                                    "seconds": time.perf_counter() - start,
                                    "numpy_rng": rng.bit_generator.state if rng is not None else None})
    seconds = time.perf_counter() - start
    model.eval()
    tail = losses[-max(1, len(losses) // 20):]
    return TrainStats(cfg.steps, float(np.mean(tail)), seconds, tokens / seconds, losses)


def train_ad(hist: Histories, model_cfg: ModelConfig, cfg: ADTrainConfig,
             on_step: Callable[[int, float], None] | None = None, checkpoints: FitCheckpoints | None = None):
    """Train AD (or ED: same call on expert histories). Returns ``(model, stats)``."""
    import torch

    torch.manual_seed(cfg.seed)  # the initialisation too: torch's own start-up seed differs per process here
    model = build_model(hist, model_cfg)
    sampler = WindowSampler(hist, model.spec.n_positions, cfg.seed)
    stats = fit(model, lambda: sampler.batch(cfg.batch_size), cfg, on_step, rng=sampler.rng, checkpoints=checkpoints)
    log.info("trained %d steps, loss %.3f, %.0f tokens/s", stats.steps, stats.final_loss, stats.tokens_per_s)
    return model, stats
