"""Training the TBYA policy (or its caption-free baseline) by next-token prediction on bot demos."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from llmrl_seqmodel.checkpoint import FitCheckpoints
from llmrl_seqmodel.tbya.config import TBYAModelConfig, TBYATrainConfig
from llmrl_seqmodel.tbya.data import Demos
from llmrl_seqmodel.tbya.stream import ACTION0, CAP, IGNORE, N_ACTIONS, OBS, LMVocab, Vocab, episode_stream


class StreamBatches:
    """Whole-episode streams, right-padded per batch (causal attention ignores the padding)."""

    def __init__(self, demos: Demos, vocab: Vocab | LMVocab, with_captions: bool, max_len: int, seed: int):
        self.demos = demos
        self.streams = []
        for i in range(len(demos)):
            a, b = demos.offsets[i], demos.offsets[i + 1]
            tokens, steps, target = episode_stream(vocab, demos.missions[i], demos.actions[a:b], demos.captions[a:b],
                                                   int(a), with_captions)
            self.streams.append((tokens[:max_len], steps[:max_len], target[:max_len]))
        self.pad = vocab.pad
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> dict[str, np.ndarray]:
        chosen = [self.streams[i] for i in self.rng.integers(len(self.streams), size=size)]
        T = max(len(s[0]) for s in chosen)
        tokens = np.full((size, T), self.pad, dtype=np.int64)
        steps = np.full((size, T), -1, dtype=np.int64)
        target = np.full((size, T), -100, dtype=np.int64)
        for j, (tok, st, tg) in enumerate(chosen):
            tokens[j, : len(tok)], steps[j, : len(tok)], target[j, : len(tok)] = tok, st, tg
        idx = np.clip(steps, 0, None)
        images = np.where((tokens == OBS)[..., None, None, None], self.demos.images[idx], 0).astype(np.int64)
        directions = np.where(tokens == OBS, self.demos.directions[idx], 0).astype(np.int64)
        return {"tokens": tokens, "images": images, "directions": directions, "target": target}


def action_and_caption_loss(logits, target, caption_weight: float = 1.0, *, action0: int = ACTION0, cap: int = CAP):
    """Mean cross-entropy over the decisions (each action, and ``<cap>`` where the policy chose to speak
    instead of acting) plus ``caption_weight`` x the mean over the caption's words and ``</cap>``.

    A plain mean over every predicted token lets captions swamp actions: GoToLocal's demos have 1.6
    caption tokens (``<cap>``, words, ``</cap>``) per action token, so actions were 38% of the loss and
    the captioned policy got ~40% of the baseline's action signal at the same budget. ``<cap>`` stays
    with the actions: after an observation the choice "speak or act" is one softmax, and splitting its
    two outcomes across differently normalised terms would bias how often the policy speaks. Without
    captions in the stream this is the baseline's loss.
    """
    import torch.nn.functional as F

    flat = target.reshape(-1)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat, ignore_index=IGNORE, reduction="none")
    is_decision = ((flat >= action0) & (flat < action0 + N_ACTIONS)) | (flat == cap)
    is_caption = (flat != IGNORE) & ~is_decision
    loss = ce[is_decision].mean()
    if caption_weight and bool(is_caption.any()):
        loss = loss + caption_weight * ce[is_caption].mean()
    return loss


def train_tbya(demos: Demos, with_captions: bool, model_cfg: TBYAModelConfig, cfg: TBYATrainConfig,
               on_step: Callable[[int, float], None] | None = None, checkpoints: FitCheckpoints | None = None):
    """Fit the policy; ``with_captions=False`` is the baseline on the very same demos."""
    import functools

    import torch

    from llmrl_seqmodel.tbya.model import SMALL, TBYAPolicy, TBYASpec
    from llmrl_seqmodel.train import fit

    torch.manual_seed(cfg.seed)  # before the model: its initialisation (and new token rows) depend on it
    words = Vocab.build(demos.missions + [c for c in demos.captions if c]).words if model_cfg.backbone == SMALL else []
    model = TBYAPolicy(TBYASpec(vocab_words=words, captions=with_captions, **model_cfg.model_dump()))
    batches = StreamBatches(demos, model.vocab, with_captions, model.max_positions, cfg.seed)
    loss = functools.partial(action_and_caption_loss, action0=model.vocab.action0, cap=model.vocab.cap)
    stats = fit(model, lambda: batches.batch(cfg.batch_size), cfg, on_step, loss=loss, rng=batches.rng,
                checkpoints=checkpoints)
    return model, stats
