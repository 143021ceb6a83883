"""Token streams: ``mission words, obs, [<cap> words </cap>], action, obs, ...``.

Observations are positions of their own (embedded from the image and direction); words,
caption delimiters and actions share one vocabulary. The model is trained to predict every
caption token and every action; with ``captions=False`` the same stream simply has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SPECIALS = ("<pad>", "<cap>", "</cap>", "<unk>")
PAD, CAP, END_CAP, UNK = range(4)
N_ACTIONS = 7
ACTION0 = len(SPECIALS)
OBS = -1
IGNORE = -100


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


@dataclass
class Vocab:
    words: list[str]

    @classmethod
    def build(cls, texts: list[str]) -> Vocab:
        return cls(sorted({w for t in texts for w in words(t)}))

    @property
    def size(self) -> int:
        return ACTION0 + N_ACTIONS + len(self.words)

    def word_ids(self, text: str) -> list[int]:
        index = {w: i for i, w in enumerate(self.words)}
        return [ACTION0 + N_ACTIONS + index[w] if w in index else UNK for w in words(text)]

    def decode(self, ids: list[int]) -> str:
        out = []
        for i in ids:
            if i >= ACTION0 + N_ACTIONS:
                out.append(self.words[i - ACTION0 - N_ACTIONS])
            elif i >= ACTION0:
                out.append(f"<a{i - ACTION0}>")
            else:
                out.append(SPECIALS[i])
        return " ".join(out)


def episode_stream(vocab: Vocab, mission: str, actions: np.ndarray, captions: list[str | None], first_step: int,
                   with_captions: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(tokens, step_index, target)`` of one demo; ``tokens == OBS`` marks observation positions."""
    tokens, steps, predict = [], [], []
    for w in vocab.word_ids(mission):
        tokens.append(w), steps.append(-1), predict.append(False)
    for t, action in enumerate(actions):
        tokens.append(OBS), steps.append(first_step + t), predict.append(False)
        if with_captions and captions[t]:
            for tok in (CAP, *vocab.word_ids(captions[t]), END_CAP):
                tokens.append(tok), steps.append(-1), predict.append(True)
        tokens.append(ACTION0 + int(action)), steps.append(-1), predict.append(True)
    tokens_a, predict_a = np.array(tokens), np.array(predict)
    target = np.full(len(tokens), IGNORE)
    target[:-1] = np.where(predict_a[1:], tokens_a[1:], IGNORE)
    return tokens_a, np.array(steps), target
