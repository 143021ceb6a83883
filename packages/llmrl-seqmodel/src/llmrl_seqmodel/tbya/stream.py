"""Token streams: ``mission words, obs, [<cap> words </cap>], action, obs, ...``.

Observations are positions of their own (embedded from the image and direction); words,
caption delimiters and actions share one vocabulary. The model is trained to predict every
caption token and every action; with ``captions=False`` the same stream simply has none.

Two vocabularies: :class:`Vocab`, whole words of the demos (the small random-init model), and
:class:`LMVocab`, a pretrained language model's own tokenizer with ``<cap>``, ``</cap>`` and the
7 actions appended after its vocabulary (the pretrained backbone). Streams, the loss and the
grammar mask at inference only use a vocabulary's ``pad``, ``cap``, ``end_cap``, ``action0``,
``text_ids`` and ``is_text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SPECIALS = ("<pad>", "<cap>", "</cap>", "<unk>")
PAD, CAP, END_CAP, UNK = range(4)
N_ACTIONS = 7
ACTION_WORDS = ("turn left", "turn right", "move forward", "pick up", "drop", "toggle", "done")
"""MiniGrid's 7 actions in order, in words: a pretrained backbone's new action rows start from these."""
ACTION0 = len(SPECIALS)
OBS = -1
IGNORE = -100


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


@dataclass
class Vocab:
    """Whole words of the missions and captions, after the specials and the actions."""

    words: list[str]
    pad, cap, end_cap, action0 = PAD, CAP, END_CAP, ACTION0

    @classmethod
    def build(cls, texts: list[str]) -> Vocab:
        return cls(sorted({w for t in texts for w in words(t)}))

    @property
    def size(self) -> int:
        return ACTION0 + N_ACTIONS + len(self.words)

    def word_ids(self, text: str) -> list[int]:
        index = {w: i for i, w in enumerate(self.words)}
        return [ACTION0 + N_ACTIONS + index[w] if w in index else UNK for w in words(text)]

    text_ids = word_ids

    def is_text(self) -> np.ndarray:
        """Ids a caption may contain (its words; the grammar adds ``</cap>``)."""
        mask = np.zeros(self.size, bool)
        mask[ACTION0 + N_ACTIONS:] = True
        return mask

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


class LMVocab:
    """A pretrained LM's tokenizer; ``<cap>``, ``</cap>`` and the actions get new ids after its vocabulary."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.base = len(tokenizer)
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.cap, self.end_cap, self.action0 = self.base, self.base + 1, self.base + 2
        self.size = self.base + 2 + N_ACTIONS
        self.special = set(tokenizer.all_special_ids)

    def text_ids(self, text: str) -> list[int]:
        """The text as the LM reads it mid-sentence (a leading space, as in running text)."""
        return list(self.tokenizer(" " + " ".join(words(text)), add_special_tokens=False).input_ids)

    def new_token_words(self) -> list[str]:
        """Words naming the appended ids in order (``<cap>``, ``</cap>``, the actions): their rows start as
        the mean of these words' embeddings, so fine-tuning begins from what the LM knows of them."""
        return ["subgoal", "then", *ACTION_WORDS]

    def is_text(self) -> np.ndarray:
        mask = np.zeros(self.size, bool)
        mask[: self.base] = True
        mask[list(self.special)] = False
        return mask

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode([i for i in ids if i < self.base]).strip()


def episode_stream(vocab: Vocab | LMVocab, mission: str, actions: np.ndarray, captions: list[str | None],
                   first_step: int, with_captions: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(tokens, step_index, target)`` of one demo; ``tokens == OBS`` marks observation positions."""
    tokens, steps, predict = [], [], []
    for w in vocab.text_ids(mission):
        tokens.append(w), steps.append(-1), predict.append(False)
    for t, action in enumerate(actions):
        tokens.append(OBS), steps.append(first_step + t), predict.append(False)
        if with_captions and captions[t]:
            for tok in (vocab.cap, *vocab.text_ids(captions[t]), vocab.end_cap):
                tokens.append(tok), steps.append(-1), predict.append(True)
        tokens.append(vocab.action0 + int(action)), steps.append(-1), predict.append(True)
    tokens_a, predict_a = np.array(tokens), np.array(predict)
    target = np.full(len(tokens), IGNORE)
    target[:-1] = np.where(predict_a[1:], tokens_a[1:], IGNORE)
    return tokens_a, np.array(steps), target
