"""Success rate on held-out seeds: the policy writes its own captions (if trained with them), then acts.

Episodes run in batches that share one key/value cache: every forward pass feeds each episode
exactly one new position (the next mission token, observation, caption token or action), so
all rows stay aligned and no position is recomputed. When a row has nothing queued, its logits
pick the next token under a grammar mask (after an observation: ``<cap>`` or an action; inside a
caption: text or ``</cap>``; after ``</cap>``: an action); an action steps the env, and its new
observation is queued behind it. Greedy decoding, as in the paper's evaluation of a policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmrl_seqmodel.tbya.stream import N_ACTIONS, OBS

_BLANK = np.zeros((7, 7, 3), np.int64)


@dataclass
class _Episode:
    env: Any
    queue: list[tuple[int, np.ndarray, int]]  # (token, image, direction) still to feed
    state: str = "obs"  # what the next chosen token follows: "obs", "cap" (inside a caption) or "post" (after </cap>)
    caption: list[int] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    steps: int = 0
    done: bool = False
    context_full: bool = False
    success: float = 0.0
    ret: float = 0.0


def grammar(vocab, captions: bool) -> dict[str, np.ndarray]:
    """Allowed next tokens in each decoding state."""
    act = np.zeros(vocab.size, bool)
    act[vocab.action0:vocab.action0 + N_ACTIONS] = True
    after_obs = act.copy()
    after_obs[vocab.cap] = captions
    text = vocab.is_text()
    text[vocab.end_cap] = True
    end = np.zeros(vocab.size, bool)
    end[vocab.end_cap] = True
    return {"obs": after_obs, "cap": text, "post": act, "end": end}


def evaluate_tbya(model, level: str, seeds: list[int], *, max_caption: int = 8, max_steps: int | None = None,
                  batch: int = 50, on_episode: Callable[[int], None] | None = None) -> dict:
    """Greedy decoding on ``seeds``; returns success rate, mean return and the captions it wrote.

    ``max_steps`` ends an episode early (as a failure) before the level's own step limit; an
    episode whose stream reaches the model's longest context also ends as a failure.
    """
    model.eval()
    episodes: list[_Episode] = []
    for start in range(0, len(seeds), batch):
        episodes += _run_batch(model, level, seeds[start:start + batch], max_caption, max_steps, on_episode)
    success = np.array([e.success for e in episodes])
    return {
        "success_rate": float(success.mean()),
        "success_sem": float(success.std(ddof=1) / np.sqrt(len(success))) if len(success) > 1 else 0.0,
        "mean_return": float(np.mean([e.ret for e in episodes])),
        "episodes": len(seeds),
        "captions_per_episode": float(np.mean([len(e.written) for e in episodes])),
        "distinct_captions": len({c for e in episodes for c in e.written}),
        "example_captions": [e.written[:6] for e in episodes[:3]],
        "context_full": int(sum(e.context_full for e in episodes)),
    }


def _run_batch(model, level: str, seeds: list[int], max_caption: int, max_steps: int | None,
               on_episode: Callable[[int], None] | None) -> list[_Episode]:
    import torch
    from transformers import DynamicCache

    from llmrl_seqmodel.tbya.data import level_env

    vocab, allowed = model.vocab, grammar(model.vocab, model.spec.captions)
    rows: list[_Episode] = []
    for seed in seeds:
        env = level_env(level)
        obs, _ = env.reset(seed=seed)
        queue = [(w, _BLANK, 0) for w in vocab.text_ids(obs["mission"])] + [(OBS, obs["image"], obs["direction"])]
        rows.append(_Episode(env, queue))
    cache, live, fed = DynamicCache(), list(range(len(rows))), 0
    with torch.inference_mode():
        while live:
            if fed >= model.max_positions:  # no room for another position: whoever is left fails here
                for i in live:
                    rows[i].done = rows[i].context_full = True
                if on_episode:
                    on_episode(len(live))
                break
            items = [rows[i].queue.pop(0) for i in live]
            tokens = torch.tensor([[t] for t, _, _ in items])
            images = torch.from_numpy(np.stack([img for _, img, _ in items])[:, None].astype(np.int64))
            dirs = torch.tensor([[d] for _, _, d in items])
            logits = model(tokens, images, dirs, cache=cache)[:, -1].float().numpy()
            fed += 1
            for j, i in enumerate(live):
                ep = rows[i]
                if ep.queue:
                    continue
                mask = allowed["end"] if ep.state == "cap" and len(ep.caption) >= max_caption else allowed[ep.state]
                choice = int(np.argmax(np.where(mask, logits[j], -np.inf)))
                ep.queue.append((choice, _BLANK, 0))
                if choice == vocab.cap:
                    ep.state, ep.caption = "cap", []
                elif choice == vocab.end_cap:
                    ep.state = "post"
                    ep.written.append(vocab.decode(ep.caption))
                elif ep.state == "cap":
                    ep.caption.append(choice)
                else:  # an action
                    obs, reward, terminated, truncated, _ = ep.env.step(choice - vocab.action0)
                    ep.steps += 1
                    if terminated or truncated or (max_steps is not None and ep.steps >= max_steps):
                        ep.done, ep.success, ep.ret = True, float(reward > 0), float(reward)
                        continue
                    ep.queue.append((OBS, obs["image"], obs["direction"]))
                    ep.state = "obs"
            keep = [j for j, i in enumerate(live) if not rows[i].done]
            finished = len(live) - len(keep)
            if finished:
                if on_episode:
                    on_episode(finished)
                live = [live[j] for j in keep]
                if live:
                    cache.batch_select_indices(torch.tensor(keep))
    return rows
