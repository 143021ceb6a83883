"""The Think Before You Act policy: a causal transformer over a mixed stream of observations and tokens.

Two backbones, one interface (``forward(tokens, images, directions, cache=None)``):

* ``gpt2``: small GPT-2 blocks built from a ``GPT2Config`` with random initialisation, over a
  whole-word vocabulary of the demos (:class:`~llmrl_seqmodel.tbya.stream.Vocab`);
* a pretrained language model (``smollm2-135m``, the embedded SmolLM2 that ``llmrl_core.models``
  resolves; nothing downloads) with its own tokenizer: ``<cap>``, ``</cap>`` and the 7 actions are
  new rows of its embedding (and tied output) matrix, as the paper fine-tunes a pretrained GPT-2.

Observation positions are embedded from the 7x7x3 image and the direction by the same small
encoder in both, projected to the backbone's width.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from llmrl_seqmodel.model import Saved, gpt2_blocks
from llmrl_seqmodel.tbya.stream import LMVocab, Vocab

SMALL = "gpt2"


@dataclass
class TBYASpec:
    vocab_words: list[str] = field(default_factory=list)
    vocab_size: int = 0
    n_positions: int = 512
    n_embd: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_inner: int = 512
    dropout: float = 0.1
    captions: bool = True
    backbone: str = SMALL
    """``gpt2`` (small, random init) or a pretrained LM name for ``llmrl_core.models.resolve_model``."""


class ObsEncoder(nn.Module):
    """A 7x7 grid of (type, colour, state) cells and a direction -> one ``d``-wide embedding."""

    def __init__(self, d: int, e: int = 8):
        super().__init__()
        self.cell_type = nn.Embedding(16, e)
        self.cell_color = nn.Embedding(8, e)
        self.cell_state = nn.Embedding(4, e)
        self.proj = nn.Linear(49 * e, d)
        self.direction = nn.Embedding(4, d)

    def forward(self, images, directions) -> torch.Tensor:
        img = images.long()
        cells = self.cell_type(img[..., 0]) + self.cell_color(img[..., 1]) + self.cell_state(img[..., 2])
        return self.proj(cells.flatten(-3)) + self.direction(directions.long())


def load_lm(name: str):
    """``(causal LM, tokenizer)`` of a pretrained backbone, in float32 on the CPU."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from llmrl_core.models import resolve_model

    path = resolve_model(name).path
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32), AutoTokenizer.from_pretrained(path)


class TBYAPolicy(Saved):
    spec_type = TBYASpec
    train_command = "llmrl tbya train"

    def __init__(self, spec: TBYASpec):
        super().__init__(spec)
        if spec.backbone == SMALL:
            self.vocab = Vocab(spec.vocab_words)
            d = spec.n_embd
            self.tok_emb = nn.Embedding(self.vocab.size, d)
            self.gpt = gpt2_blocks(spec.n_positions, d, spec.n_layer, spec.n_head, spec.n_inner, spec.dropout,
                                   spec.dropout)
            self.head = nn.Linear(d, self.vocab.size)
        else:
            lm, tokenizer = load_lm(spec.backbone)
            self.vocab = LMVocab(tokenizer)
            lm.resize_token_embeddings(self.vocab.size, mean_resizing=True)  # new rows: <cap>, </cap>, actions
            self.lm = lm
            d = lm.config.hidden_size
        self.spec.vocab_size = self.vocab.size
        self.obs = ObsEncoder(d)

    @property
    def max_positions(self) -> int:
        """The longest stream, the same for both backbones (a pretrained one's own context caps it), so that
        training cuts and evaluation episodes end at the same length whichever backbone is compared."""
        if self.spec.backbone == SMALL:
            return self.spec.n_positions
        return min(self.spec.n_positions, self.lm.config.max_position_embeddings)

    def embed(self, tokens, images, directions) -> torch.Tensor:
        """``tokens < 0`` marks observation positions (their image + direction), the rest are token ids."""
        table = self.tok_emb if self.spec.backbone == SMALL else self.lm.get_input_embeddings()
        is_obs = (tokens < 0).unsqueeze(-1)
        return torch.where(is_obs, self.obs(images, directions), table(tokens.clamp(min=0)))

    def forward(self, tokens, images, directions, cache=None):
        """Logits ``[B, T, vocab]``; with ``cache`` (a transformers ``DynamicCache``) only the new positions are fed."""
        x = self.embed(tokens, images, directions)
        use_cache = cache is not None
        if self.spec.backbone == SMALL:
            h = self.gpt(inputs_embeds=x, past_key_values=cache, use_cache=use_cache).last_hidden_state
            return self.head(h)
        h = self.lm.model(inputs_embeds=x, past_key_values=cache, use_cache=use_cache).last_hidden_state
        return self.lm.lm_head(h)
