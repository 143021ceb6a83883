"""AD's causal transformer: GPT-2 blocks from transformers over ``inputs_embeds``.

One token per time step embeds the observation together with the *previous* action and
reward (AD's (o, a, r) triple, packed into one token so a context of several episodes stays
short), plus the step index within the episode. DPT's transitions add the next observation.
The model predicts the action at every position. No weights are downloaded: GPT-2's
architecture is built from a ``GPT2Config`` with random initialisation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn


def gpt2_blocks(n_positions: int, n_embd: int, n_layer: int, n_head: int, n_inner: int, dropout: float,
                attn_dropout: float):
    """Randomly initialised GPT-2 blocks read through ``inputs_embeds`` (no token vocabulary, nothing downloaded)."""
    from transformers import GPT2Config, GPT2Model

    return GPT2Model(GPT2Config(
        vocab_size=1, n_positions=n_positions, n_embd=n_embd, n_layer=n_layer, n_head=n_head, n_inner=n_inner,
        resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=attn_dropout, use_cache=False, bos_token_id=None,
        eos_token_id=None, activation_function="gelu",
    ))


class Saved(nn.Module):
    """A module rebuilt from its dataclass spec: saved as ``{"spec", "state"}`` with ``torch.save``."""

    spec_type: ClassVar[type]
    train_command: ClassVar[str] = "llmrl ad train"

    def __init__(self, spec: Any):
        super().__init__()
        self.spec = spec

    def save(self, path: str | Path) -> None:
        torch.save({"spec": asdict(self.spec), "state": self.state_dict()}, path)

    @classmethod
    def load(cls, path: str | Path, map_location: str = "cpu"):
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no model at {path}; train one with `{cls.train_command}`")
        blob = torch.load(path, map_location=map_location, weights_only=True)
        model = cls(cls.spec_type(**blob["spec"]))
        model.load_state_dict(blob["state"])
        return model


@dataclass
class PolicySpec:
    obs_nvec: list[int]
    n_actions: int
    episode_len: int
    n_positions: int
    n_embd: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_inner: int = 256
    dropout: float = 0.1
    attn_dropout: float = 0.5
    token_mask: float = 0.3
    next_obs: bool = False
    """DPT: tokens also carry the transition's next observation."""


class SeqPolicy(Saved):
    spec_type = PolicySpec

    def __init__(self, spec: PolicySpec):
        super().__init__(spec)
        d = spec.n_embd
        self.obs_offsets = torch.tensor([0, *torch.tensor(spec.obs_nvec).cumsum(0)[:-1].tolist()])
        n_obs = int(sum(spec.obs_nvec))
        self.obs_emb = nn.Embedding(n_obs, d)
        self.next_obs_emb = nn.Embedding(n_obs + 1, d) if spec.next_obs else None  # last index: "none"
        self.act_emb = nn.Embedding(spec.n_actions + 1, d)  # last index: "no previous action"
        self.rew_proj = nn.Linear(1, d)
        self.step_emb = nn.Embedding(spec.episode_len + 1, d)
        self.mask_token = nn.Parameter(torch.zeros(d))
        self.gpt = gpt2_blocks(spec.n_positions, d, spec.n_layer, spec.n_head, spec.n_inner, spec.dropout,
                               spec.attn_dropout)
        self.head = nn.Linear(d, spec.n_actions)

    def embed(self, obs, prev_action, prev_reward, step, next_obs=None) -> torch.Tensor:
        """Token embeddings [B, T, d] from integer obs [B, T, D], actions, rewards and steps [B, T]."""
        x = self.obs_emb(obs + self.obs_offsets.to(obs.device)).sum(-2)
        x = x + self.act_emb(prev_action) + self.rew_proj(prev_reward.unsqueeze(-1)) + self.step_emb(step)
        if self.next_obs_emb is not None:  # DPT: -1 marks "no next observation" (the query token)
            idx = torch.where(next_obs < 0, int(sum(self.spec.obs_nvec)), next_obs + self.obs_offsets.to(obs.device))
            x = x + self.next_obs_emb(idx).sum(-2)
        if self.training and self.spec.token_mask > 0:
            masked = torch.rand(x.shape[:2], device=x.device) < self.spec.token_mask
            x = torch.where(masked.unsqueeze(-1), self.mask_token.to(x.dtype), x)
        return x

    def forward(self, obs, prev_action, prev_reward, step, next_obs=None) -> torch.Tensor:
        """Action logits [B, T, n_actions]."""
        h = self.gpt(inputs_embeds=self.embed(obs, prev_action, prev_reward, step, next_obs)).last_hidden_state
        return self.head(h)
