"""The reward decoder: latent factors -> a per-step proxy reward, trained by return decomposition.

Losses (per trajectory of length T with return R; r_t the decoder's output):

- ``rd``: (sum_t r_t / T - R / T)^2 — the rewards sum to the return.
- ``rrd``: K steps drawn at random (with replacement when K > T);
  (mean_k r_k - R / T)^2 — randomized return decomposition.
- ``rrd-unbiased`` (the public code's default): the RRD loss minus the sampling
  variance Var_k(r_k) * (1 - K / T) / K, an unbiased estimate of the RD loss.

Heads: ``linear`` (a weighted sum of the factors: interpretable, the method as
described) and ``mlp`` (3 x 256 ReLU, the public code's MuJoCo decoder). Factors are
standardised with running statistics so that one learning rate suits every scale.

A linear head under ``rd`` is ordinary least squares on the episode sums
(sum_t w . x_t + b T = R), so an offline :meth:`RewardDecoder.fit` solves it exactly
(``lstsq``) instead of taking Adam steps that stop short of the optimum; the online
updates during training stay Adam steps on the current batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

Head = Literal["linear", "mlp"]
Method = Literal["rd", "rrd", "rrd-unbiased"]
METHODS: tuple[str, ...] = ("rd", "rrd", "rrd-unbiased")


class _RunningNorm(nn.Module):
    """Running mean/variance of the factors (Chan et al.'s parallel update)."""

    def __init__(self, n: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("var", torch.ones(n))
        self.register_buffer("count", torch.tensor(1e-4))

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        x = x.reshape(-1, x.shape[-1])
        b_mean, b_var, b_n = x.mean(0), x.var(0, unbiased=False), x.shape[0]
        delta, total = b_mean - self.mean, self.count + b_n
        self.mean += delta * b_n / total
        self.var = (self.var * self.count + b_var * b_n + delta.square() * self.count * b_n / total) / total
        self.count = total

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / torch.sqrt(self.var + 1e-8)


class RewardDecoder:
    """``RewardDecoder(n_factors, head="linear"|"mlp")``; ``fit(factors, returns)``; ``predict(factors)``."""

    def __init__(
        self,
        n_factors: int,
        head: Head = "linear",
        *,
        method: Method = "rrd-unbiased",
        hidden: int = 256,
        layers: int = 3,
        lr: float = 3e-4,
        rrd_k: int = 64,
        normalize: bool = True,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ):
        if head not in ("linear", "mlp"):
            raise ValueError(f"head must be 'linear' or 'mlp', got {head!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if n_factors < 1:
            raise ValueError(f"n_factors must be >= 1, got {n_factors}")
        self.n_factors, self.head, self.method, self.rrd_k = n_factors, head, method, rrd_k
        self.device = torch.device(device)
        gen = torch.Generator().manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            if head == "linear":
                net: nn.Module = nn.Linear(n_factors, 1)
                nn.init.zeros_(net.weight)  # start neutral: no factor is rewarded before the data says so
                nn.init.zeros_(net.bias)
            else:
                mods: list[nn.Module] = []
                width = n_factors
                for _ in range(layers):
                    mods += [nn.Linear(width, hidden), nn.ReLU()]
                    width = hidden
                mods.append(nn.Linear(width, 1))
                net = nn.Sequential(*mods)
        self.norm = _RunningNorm(n_factors).to(self.device)
        self.normalize = normalize
        self.net = net.to(self.device)
        self.optim = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.updates = 0

    # --- checkpoints ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything later updates depend on: weights, factor statistics, Adam's moments, the sampling RNG."""
        return {"net": self.net.state_dict(), "norm": self.norm.state_dict(), "optim": self.optim.state_dict(),
                "rng": self.rng.bit_generator.state, "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.norm.load_state_dict(state["norm"])
        self.optim.load_state_dict(state["optim"])
        self.rng.bit_generator.state = state["rng"]
        self.updates = state["updates"]

    # --- inference --------------------------------------------------------------------
    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.normalize:
            x = self.norm(x)
        return self.net(x).squeeze(-1)

    @torch.no_grad()
    def predict(self, factors: np.ndarray) -> np.ndarray:
        """Per-step proxy rewards for factors of shape (..., n_factors) -> (...)."""
        x = torch.as_tensor(np.asarray(factors, dtype=np.float32), device=self.device)
        if x.shape[-1] != self.n_factors:
            raise ValueError(f"factors have {x.shape[-1]} columns, the decoder expects {self.n_factors}")
        return self._forward(x).cpu().numpy()

    def linear_weights(self) -> tuple[np.ndarray, float]:
        """(w, b) with r = w . factors + b in raw factor units (linear head only)."""
        if self.head != "linear":
            raise ValueError("linear_weights() needs head='linear'")
        w = self.net.weight.detach().cpu().numpy()[0]
        b = float(self.net.bias.detach().cpu().numpy()[0])
        if self.normalize:
            std = np.sqrt(self.norm.var.cpu().numpy() + 1e-8)
            mean = self.norm.mean.cpu().numpy()
            w, b = w / std, b - float(np.sum(w / std * mean))
        return w, b

    # --- training ---------------------------------------------------------------------
    def observe(self, factors: np.ndarray) -> None:
        """Update the running factor statistics with new data."""
        if self.normalize:
            self.norm.update(torch.as_tensor(np.asarray(factors, dtype=np.float32), device=self.device))

    def loss(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor, returns: torch.Tensor,
             method: Method) -> torch.Tensor:
        """Loss of a batch: x (E, L, K) steps, mask (E, L), true lengths T (E,), returns R (E,)."""
        r = self._forward(x) * mask
        target = returns / lengths
        if method == "rd":
            return ((r.sum(1) / lengths - target) ** 2).mean()
        k = mask.sum(1)
        mean = r.sum(1) / k
        loss = (mean - target) ** 2
        if method == "rrd-unbiased":
            var = ((r - mean[:, None]) ** 2 * mask).sum(1) / (k - 1).clamp(min=1)
            loss = loss - var * (1 - k / lengths).clamp(min=0) / k
        return loss.mean()

    def sample_steps(self, lengths: np.ndarray, method: Method) -> tuple[np.ndarray, np.ndarray]:
        """Step indices (E, L) and mask (E, L): all steps for RD, K random ones for RRD."""
        lengths = np.asarray(lengths, dtype=np.int64)
        if method == "rd":
            width = int(lengths.max())
            idx = np.tile(np.arange(width), (len(lengths), 1))
            mask = idx < lengths[:, None]
            return np.minimum(idx, lengths[:, None] - 1), mask
        k = self.rrd_k
        idx = np.empty((len(lengths), k), dtype=np.int64)
        for i, t in enumerate(lengths):
            idx[i] = self.rng.choice(t, size=k, replace=k > t)
        return idx, np.ones_like(idx, dtype=bool)

    def train_step(self, x: np.ndarray, mask: np.ndarray, lengths: np.ndarray, returns: np.ndarray,
                   method: Method | None = None) -> float:
        """One Adam step on a batch built by the caller (see ``sample_steps``)."""
        dev = self.device
        loss = self.loss(
            torch.as_tensor(x, dtype=torch.float32, device=dev),
            torch.as_tensor(mask, dtype=torch.float32, device=dev),
            torch.as_tensor(lengths, dtype=torch.float32, device=dev),
            torch.as_tensor(returns, dtype=torch.float32, device=dev),
            method or self.method,
        )
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        self.optim.step()
        self.updates += 1
        return float(loss.detach())

    def fit(
        self,
        factors: np.ndarray | Sequence[np.ndarray],
        returns: np.ndarray,
        method: Method | None = None,
        *,
        steps: int = 1000,
        batch_episodes: int = 32,
        exact: bool | None = None,
    ) -> list[float]:
        """Fit on episodes: ``factors`` (E, T, K) or a list of (T_i, K); ``returns`` (E,). Returns the losses.

        ``exact`` (default: whenever the head is linear and the loss ``rd``) solves the least-squares
        problem in closed form and returns its one loss; otherwise ``steps`` Adam steps on
        ``batch_episodes`` episodes each.
        """
        episodes = [np.asarray(f, dtype=np.float32) for f in factors]
        returns = np.asarray(returns, dtype=np.float32).reshape(-1)
        if len(episodes) != len(returns):
            raise ValueError(f"{len(episodes)} episodes of factors but {len(returns)} returns")
        for e in episodes:
            if e.ndim != 2 or e.shape[1] != self.n_factors or len(e) == 0:
                raise ValueError(f"each episode's factors must be (T, {self.n_factors}) with T >= 1, got {e.shape}")
        method = method or self.method
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.observe(np.concatenate(episodes))
        if exact is None:
            exact = self.head == "linear" and method == "rd"
        if exact:
            if self.head != "linear" or method != "rd":
                raise ValueError(f"an exact fit needs head='linear' and method='rd', got {self.head!r} and {method!r}")
            return [self._solve_linear_rd(episodes, returns)]
        lengths_all = np.array([len(e) for e in episodes])
        losses = []
        for _ in range(steps):
            pick = self.rng.choice(len(episodes), size=min(batch_episodes, len(episodes)), replace=False)
            lengths = lengths_all[pick]
            idx, mask = self.sample_steps(lengths, method)
            x = np.stack([episodes[p][i] for p, i in zip(pick, idx, strict=True)])
            losses.append(self.train_step(x, mask, lengths, returns[pick], method))
        return losses

    @torch.no_grad()
    def _solve_linear_rd(self, episodes: list[np.ndarray], returns: np.ndarray) -> float:
        """The RD loss's exact minimiser for a linear head: (sum_t z_t / T) . w + b = R / T, least squares.

        ``z`` are the factors as the head sees them (standardised when ``normalize``); where the
        episodes do not determine the weights (fewer episodes than factors), lstsq's minimum-norm
        solution is taken.
        """
        means = np.stack([self._inputs(e).mean(0) for e in episodes])  # (E, K): sum_t z_t / T
        design = np.concatenate([means, np.ones((len(episodes), 1))], axis=1).astype(np.float64)
        target = np.array([r / len(e) for e, r in zip(episodes, returns, strict=True)], dtype=np.float64)
        solution, *_ = np.linalg.lstsq(design, target, rcond=None)
        self.net.weight.copy_(torch.as_tensor(solution[None, :-1], dtype=self.net.weight.dtype))
        self.net.bias.copy_(torch.as_tensor(solution[-1:], dtype=self.net.bias.dtype))
        return float(np.mean((design @ solution - target) ** 2))

    def _inputs(self, factors: np.ndarray) -> np.ndarray:
        """Factors as the head sees them (standardised when ``normalize``), float64."""
        x = torch.as_tensor(np.asarray(factors, dtype=np.float32), device=self.device)
        if self.normalize:
            x = self.norm(x)
        return x.cpu().numpy().astype(np.float64)
