"""The decoder recovers a known per-step reward from episodic returns alone."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from llmrl_rewardgen.lare.decoder import RewardDecoder  # noqa: E402
from llmrl_rewardgen.lare.replay import EpisodeStore, relabel_rewards  # noqa: E402

W_TRUE = np.array([1.0, -0.3, 4.0, 0.0])
SCALE = np.array([1.0, 5.0, 0.1, 2.0])


def synthetic(seed=0, episodes=256, horizon=50):
    rng = np.random.default_rng(seed)
    factors = (rng.normal(size=(episodes, horizon, 4)) * SCALE).astype(np.float32)
    rewards = factors @ W_TRUE + 0.5
    return factors, rewards, rewards.sum(1)


def test_linear_rd_fit_with_the_defaults_recovers_a_linear_reward_exactly():
    """A linear head under RD is least squares on the episode sums: fit() solves it, no tuning needed."""
    factors, rewards, returns = synthetic()
    dec = RewardDecoder(4, "linear")  # every default: lr, steps, batch
    losses = dec.fit(factors, returns, method="rd")
    assert len(losses) == 1 and losses[0] < 1e-8  # one closed-form solve, at the optimum
    pred = dec.predict(factors)
    assert np.corrcoef(pred.ravel(), rewards.ravel())[0, 1] > 0.99
    w, b = dec.linear_weights()
    np.testing.assert_allclose(w, W_TRUE, atol=1e-3)
    assert abs(b - 0.5) < 1e-3
    # Adam steps (exact=False) with the same defaults stop short of it: what the closed form fixes
    adam = RewardDecoder(4, "linear")
    adam.fit(factors, returns, method="rd", exact=False)
    assert np.corrcoef(adam.predict(factors).ravel(), rewards.ravel())[0, 1] < 0.99
    with pytest.raises(ValueError, match="exact fit needs head='linear' and method='rd'"):
        RewardDecoder(4, "mlp").fit(factors[:4], returns[:4], method="rd", exact=True)


@pytest.mark.parametrize("method", ["rd", "rrd-unbiased"])
def test_linear_head_recovers_weights(method):
    factors, rewards, returns = synthetic()
    dec = RewardDecoder(4, "linear", method=method, lr=1e-2, rrd_k=16, seed=0)
    losses = dec.fit(factors, returns, steps=400 if method == "rd" else 1200, batch_episodes=64,
                     exact=False)  # Adam steps, as in online training; RRD is noisier
    assert np.mean(losses[-20:]) < 0.1 * np.mean(losses[:20])  # the unbiased RRD loss is a noisy estimate
    w, b = dec.linear_weights()
    # each weight times its factor's std: the reward it contributes per std (true: 1, -1.5, 0.4, 0; reward std 1.85)
    np.testing.assert_allclose(w * SCALE, W_TRUE * SCALE, atol=0.1)
    assert abs(b - 0.5) < 0.1
    pred = dec.predict(factors)
    assert np.corrcoef(pred.ravel(), rewards.ravel())[0, 1] > 0.995
    assert np.abs(pred - rewards).mean() < 0.1 * rewards.std()


def test_biased_rrd_shrinks_what_the_unbiased_variant_keeps():
    """RRD without the variance correction is biased towards small rewards; the unbiased one is not."""
    factors, _, returns = synthetic(seed=1)
    scales = {}
    for method in ("rrd", "rrd-unbiased"):
        dec = RewardDecoder(4, "linear", method=method, lr=1e-2, rrd_k=16, seed=0)
        dec.fit(factors, returns, steps=400)
        scales[method] = dec.linear_weights()[0][2] / W_TRUE[2]
    assert scales["rrd"] < 0.7 and scales["rrd-unbiased"] > 0.85


def test_mlp_head_recovers_a_nonlinear_reward_from_variable_length_episodes():
    rng = np.random.default_rng(2)
    episodes = [rng.normal(size=(int(t), 2)).astype(np.float32) for t in rng.integers(20, 60, size=300)]
    true = [np.tanh(2 * f[:, 0]) + 0.5 * f[:, 1] ** 2 for f in episodes]
    returns = np.array([r.sum() for r in true])
    dec = RewardDecoder(2, "mlp", method="rd", hidden=64, layers=2, lr=3e-3, seed=0)
    dec.fit(episodes, returns, steps=500)
    pred = np.concatenate([dec.predict(f) for f in episodes])
    assert np.corrcoef(pred, np.concatenate(true))[0, 1] > 0.95


def test_online_training_from_an_episode_store():
    factors, rewards, returns = synthetic(seed=3, episodes=64)
    store = EpisodeStore(max_steps=64 * 50)
    dec = RewardDecoder(4, "linear", lr=1e-2, rrd_k=16, seed=0)
    for f, r in zip(factors, returns, strict=True):
        store.add(f, r)
        dec.observe(f)
        store.train_decoder(dec, batch_episodes=16, updates=6)
    relabelled = relabel_rewards(dec, factors.reshape(-1, 4))
    assert relabelled.dtype == np.float32 and relabelled.shape == (64 * 50,)
    assert np.corrcoef(relabelled, rewards.ravel())[0, 1] > 0.98
    store.add(factors[0], returns[0])  # one more episode than fits: the oldest goes
    assert len(store) == 64 and store.steps == 64 * 50


def test_bad_input_is_named():
    dec = RewardDecoder(3)
    with pytest.raises(ValueError, match="expects 3"):
        dec.predict(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"must be \(T, 3\)"):
        dec.fit([np.zeros((4, 2))], np.zeros(1))
    with pytest.raises(ValueError, match="2 episodes of factors but 1 returns"):
        dec.fit(np.zeros((2, 4, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="head must be"):
        RewardDecoder(3, head="transformer")
