"""The Think Before You Act policy: GPT-2 blocks over a mixed stream of observations and tokens.

Built from a ``GPT2Config`` with random initialisation (no weights are downloaded).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn


@dataclass
class TBYASpec:
    vocab_words: list[str]
    vocab_size: int
    n_positions: int = 384
    n_embd: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_inner: int = 512
    dropout: float = 0.1
    captions: bool = True


class TBYAPolicy(nn.Module):
    def __init__(self, spec: TBYASpec):
        super().__init__()
        from transformers import GPT2Config, GPT2Model

        self.spec = spec
        d, e = spec.n_embd, 8
        self.tok_emb = nn.Embedding(spec.vocab_size, d)
        self.cell_type = nn.Embedding(16, e)
        self.cell_color = nn.Embedding(8, e)
        self.cell_state = nn.Embedding(4, e)
        self.obs_proj = nn.Linear(49 * e, d)
        self.dir_emb = nn.Embedding(4, d)
        self.gpt = GPT2Model(GPT2Config(
            vocab_size=1, n_positions=spec.n_positions, n_embd=d, n_layer=spec.n_layer, n_head=spec.n_head,
            n_inner=spec.n_inner, resid_pdrop=spec.dropout, embd_pdrop=spec.dropout, attn_pdrop=spec.dropout,
            use_cache=False, bos_token_id=None, eos_token_id=None, activation_function="gelu",
        ))
        self.head = nn.Linear(d, spec.vocab_size)

    def forward(self, tokens, images, directions) -> torch.Tensor:
        """Logits ``[B, T, vocab]``; ``tokens < 0`` marks observation positions (their image + direction)."""
        img = images.long()
        cells = self.cell_type(img[..., 0]) + self.cell_color(img[..., 1]) + self.cell_state(img[..., 2])
        obs = self.obs_proj(cells.flatten(-3)) + self.dir_emb(directions.long())
        is_obs = (tokens < 0).unsqueeze(-1)
        x = torch.where(is_obs, obs, self.tok_emb(tokens.clamp(min=0)))
        return self.head(self.gpt(inputs_embeds=x).last_hidden_state)

    def save(self, path: str | Path) -> None:
        torch.save({"spec": asdict(self.spec), "state": self.state_dict()}, path)

    @classmethod
    def load(cls, path: str | Path) -> TBYAPolicy:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no model at {path}; train one with `llmrl tbya train`")
        blob = torch.load(path, map_location="cpu", weights_only=True)
        model = cls(TBYASpec(**blob["spec"]))
        model.load_state_dict(blob["state"])
        return model
