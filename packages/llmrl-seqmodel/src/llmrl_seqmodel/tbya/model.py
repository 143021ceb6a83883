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
    """A 7x7 grid of (type, colour, state) cells and a direction -> one ``d``-wide embedding.

    ``out_std`` sets the initial scale of the embedding to that of the backbone's token embeddings: at
    PyTorch's default initialisation each of its two parts (grid projection, direction) has a standard
    deviation of about 1, while a pretrained LM's token rows are far smaller (SmolLM2-135M: 0.14). Matching
    them lowers SmolLM2's first loss on the demos by 0.8 nats (11.1 -> 10.3); most of its old 22 nats came
    from the new token rows (see ``TBYAPolicy._init_new_rows``).
    """

    def __init__(self, d: int, e: int = 8, out_std: float | None = None):
        super().__init__()
        self.cell_type = nn.Embedding(16, e)
        self.cell_color = nn.Embedding(8, e)
        self.cell_state = nn.Embedding(4, e)
        self.proj = nn.Linear(49 * e, d)
        self.direction = nn.Embedding(4, d)
        if out_std is not None:
            with torch.no_grad():  # two parts of std ~1 each -> a sum of std ~sqrt(2); bring it to out_std
                for weight in (self.proj.weight, self.proj.bias, self.direction.weight):
                    weight.mul_(out_std / 2**0.5)

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
            lm.resize_token_embeddings(self.vocab.size, mean_resizing=False)  # new rows: <cap>, </cap>, actions
            self.lm = lm
            self._init_new_rows()
            d = lm.config.hidden_size
        self.spec.vocab_size = self.vocab.size
        token_std = None if spec.backbone == SMALL else float(self.lm.get_input_embeddings().weight.detach().std())
        self.obs = ObsEncoder(d, out_std=token_std)

    def _init_new_rows(self) -> None:
        """Each appended token's input (and untied output) row = the mean embedding of the words naming it.

        With mean resizing they all start at the vocabulary's mean, and the first decisions cost 22 nats
        (far above a uniform guess over the 49k tokens).
        """
        tables = [self.lm.get_input_embeddings().weight, self.lm.get_output_embeddings().weight]
        words = self.vocab.new_token_words()
        with torch.no_grad():
            for table in {id(t): t for t in tables}.values():
                for row, text in zip(range(self.vocab.base, self.vocab.size), words, strict=True):
                    table[row] = table[self.vocab.text_ids(text)].mean(0)

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
