"""Success rate on held-out seeds: the policy writes its own captions (if trained with them), then acts.

All episodes run together: at every micro-step one batched forward pass extends each
stream by one token, under a grammar mask (after an observation: ``<cap>`` or an action;
inside a caption: words or ``</cap>``; after ``</cap>``: an action).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from llmrl_seqmodel.tbya.stream import ACTION0, CAP, END_CAP, N_ACTIONS, OBS, PAD, Vocab


def evaluate_tbya(model, level: str, seeds: list[int], *, max_caption: int = 8, max_steps: int | None = None,
                  on_episode: Callable[[int], None] | None = None) -> dict:
    """Greedy decoding on ``seeds``; returns success rate, mean return and the captions it wrote.

    ``max_steps`` ends an episode early (as a failure) before the level's own step limit.
    """
    import torch

    from llmrl_seqmodel.tbya.data import level_env

    model.eval()
    spec = model.spec
    vocab = Vocab(spec.vocab_words)
    V = spec.vocab_size
    allow_after_obs = np.zeros(V, bool)
    allow_after_obs[ACTION0:ACTION0 + N_ACTIONS] = True
    allow_after_obs[CAP] = spec.captions
    allow_action = np.zeros(V, bool)
    allow_action[ACTION0:ACTION0 + N_ACTIONS] = True
    allow_words = np.zeros(V, bool)
    allow_words[ACTION0 + N_ACTIONS:] = True
    allow_words[END_CAP] = True
    only_end = np.zeros(V, bool)
    only_end[END_CAP] = True

    envs, streams, images, dirs, state, caplen, mission_len, steps = [], [], [], [], [], [], [], []
    for seed in seeds:
        env = level_env(level)
        obs, _ = env.reset(seed=seed)
        ids = vocab.word_ids(obs["mission"])
        envs.append(env)
        streams.append([*ids, OBS])
        images.append([np.zeros((7, 7, 3), np.int64)] * len(ids) + [obs["image"]])
        dirs.append([0] * len(ids) + [obs["direction"]])
        state.append("obs")
        caplen.append(0)
        mission_len.append(len(ids))
        steps.append(0)
    success = np.zeros(len(seeds))
    returns = np.zeros(len(seeds))
    active = list(range(len(seeds)))
    written: list[list[str]] = [[] for _ in seeds]
    L = spec.n_positions
    with torch.inference_mode():
        while active:
            windows = []
            for i in active:
                m = mission_len[i]
                keep = streams[i] if len(streams[i]) <= L else streams[i][:m] + streams[i][-(L - m):]
                kimg = images[i] if len(streams[i]) <= L else images[i][:m] + images[i][-(L - m):]
                kdir = dirs[i] if len(streams[i]) <= L else dirs[i][:m] + dirs[i][-(L - m):]
                windows.append((keep, kimg, kdir))
            T = max(len(w[0]) for w in windows)
            tok = np.full((len(active), T), PAD, np.int64)
            img = np.zeros((len(active), T, 7, 7, 3), np.int64)
            dr = np.zeros((len(active), T), np.int64)
            for j, (k, ki, kd) in enumerate(windows):
                tok[j, : len(k)], img[j, : len(k)], dr[j, : len(k)] = k, np.stack(ki), kd
            logits = model(torch.from_numpy(tok), torch.from_numpy(img), torch.from_numpy(dr))
            last = torch.tensor([len(w[0]) - 1 for w in windows])
            step_logits = logits[torch.arange(len(active)), last].numpy()
            still = []
            for j, i in enumerate(active):
                if state[i] == "obs":
                    allowed = allow_after_obs
                elif state[i] == "cap":
                    allowed = only_end if caplen[i] >= max_caption else allow_words
                else:
                    allowed = allow_action
                choice = int(np.argmax(np.where(allowed, step_logits[j], -np.inf)))
                streams[i].append(choice)
                images[i].append(np.zeros((7, 7, 3), np.int64))
                dirs[i].append(0)
                if choice == CAP:
                    state[i], caplen[i] = "cap", 0
                    written[i].append("")
                elif choice == END_CAP:
                    state[i] = "post"
                elif state[i] == "cap":
                    caplen[i] += 1
                    written[i][-1] = (written[i][-1] + " " + vocab.decode([choice])).strip()
                else:  # an action
                    obs, reward, terminated, truncated, _ = envs[i].step(choice - ACTION0)
                    steps[i] += 1
                    truncated = truncated or (max_steps is not None and steps[i] >= max_steps)
                    if terminated or truncated:
                        success[i], returns[i] = float(reward > 0), float(reward)
                        if on_episode:
                            on_episode(1)
                        continue
                    streams[i].append(OBS)
                    images[i].append(obs["image"])
                    dirs[i].append(obs["direction"])
                    state[i] = "obs"
                still.append(i)
            active = still
    return {
        "success_rate": float(success.mean()),
        "mean_return": float(returns.mean()),
        "episodes": len(seeds),
        "captions_per_episode": float(np.mean([len(w) for w in written])),
        "example_captions": [w[:4] for w in written[:3]],
    }
