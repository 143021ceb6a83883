"""DPT's training data and online context on Dark Room: what made the first version learn nothing.

Its contexts were random walks from the centre: the goal showed up in about a third of them
and cells near the corners almost never, so DPT never learned to read the goal off its context.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llmrl_seqmodel.config import EvalConfig, ModelConfig
from llmrl_seqmodel.dpt import DPTSampler, build_dpt, evaluate_dpt, optimal_table, transition_tables
from llmrl_seqmodel.envs import profile, split_tasks


def _greedy(pos: np.ndarray, goal: np.ndarray) -> int:
    dx, dy = goal - pos
    if dx == 0 and dy == 0:
        return 0  # no-op on the goal
    if abs(dx) >= abs(dy):
        return 2 if dx > 0 else 1
    return 4 if dy > 0 else 3


def test_dpt_contexts_show_the_goal_and_cover_the_room_and_labels_are_the_oracles():
    prof = profile("darkroom")
    train, _ = split_tasks(prof, 20)
    states, table = optimal_table(prof, train)
    sampler = DPTSampler(states, table, 5, 4 * 20 + 1, seed=0, tables=transition_tables(prof, train, states))
    b = sampler.batch(2000)
    assert b["obs"].shape == (2000, 81, 2) and (b["step"] == 0).all()
    assert (b["prev_action"][:, 0] == 5).all() and (b["next_obs"][:, 0] == -1).all()  # the query token
    target, query = b["target"], b["obs"][:, 0]
    assert (target == target[:, :1]).all()  # every position predicts the query's optimal action

    rewarded = b["prev_reward"][:, 1:] > 0
    shown = rewarded.any(1)
    assert shown.mean() > 0.5, f"the goal is in only {shown.mean():.0%} of the contexts"
    for i in np.flatnonzero(shown)[:300]:  # the label is the oracle's action toward the goal the context shows
        goal = b["next_obs"][i, 1:][rewarded[i]]
        assert (goal == goal[0]).all()
        assert target[i, 0] == _greedy(query[i], goal[0])
    assert (target[:, 0] == 0).any() and set(np.unique(target)) == {0, 1, 2, 3, 4}

    counts = np.zeros((9, 9))
    np.add.at(counts, (b["obs"][:, 1:, 0].ravel(), b["obs"][:, 1:, 1].ravel()), 1)
    assert counts.min() > 0.7 * counts.mean(), counts  # corners as often as the centre


class _Recording(torch.nn.Module):
    """The real (untrained) DPT model, keeping the inputs of every call."""

    def __init__(self, model):
        super().__init__()
        self.model, self.spec, self.calls = model, model.spec, []

    def forward(self, **batch):
        self.calls.append({k: v.clone() for k, v in batch.items()})
        return self.model(**batch)


def test_online_dpt_queries_the_current_state_with_its_own_completed_episodes_as_context():
    prof = profile("darkroom", size=5, max_steps=6)
    _, test = split_tasks(prof, 2)
    model = _Recording(build_dpt(prof, ModelConfig(n_embd=16, n_layer=1, n_head=1, n_inner=16, context_episodes=2)))
    returns = evaluate_dpt(model, prof, test, EvalConfig(episodes=4, seeds=1))
    assert returns.shape == (2, 4) and len(model.calls) == 4 * 6
    first, later = model.calls[:6], model.calls[6:]
    assert all(c["obs"].shape[1] == 1 for c in first)  # an empty context in episode 1
    assert all((c["obs"][:, 0] == torch.tensor([2, 2])).all() for c in model.calls[::6])  # starts at the centre
    for e in range(1, 4):
        calls = model.calls[6 * e: 6 * e + 6]
        n = min(e, 2) * 6  # the latest completed episodes, fixed during the episode
        assert all(c["obs"].shape[1] == 1 + n for c in calls)
        assert all(torch.equal(c["obs"][:, 1:], calls[0]["obs"][:, 1:]) for c in calls)
        # the context's transitions are the ones this agent made: each next state is the following state
        ctx_obs, ctx_next = calls[0]["obs"][:, 1:], calls[0]["next_obs"][:, 1:]
        steps = ctx_obs.reshape(2, -1, 6, 2)
        nexts = ctx_next.reshape(2, -1, 6, 2)
        assert torch.equal(steps[:, :, 1:], nexts[:, :, :-1]) and (steps[:, :, 0] == 2).all()
        # ... and the queries of the episode before are the states it stood on
        queries = torch.stack([c["obs"][:, 0] for c in model.calls[6 * (e - 1): 6 * e]], 1)
        assert torch.equal(steps[:, -1], queries)
    assert len(later) == 18


@pytest.mark.slow
def test_small_dpt_run_reads_the_goal_off_its_context_and_beats_random_online():
    """DPT's claim at toy scale: on held-out goals it acts optimally once the context shows the goal,
    and online, from an empty context, it finds goals and returns to them."""
    from llmrl_seqmodel.config import ADTrainConfig, HistoryConfig
    from llmrl_seqmodel.dpt import train_dpt
    from llmrl_seqmodel.evaluate import evaluate_source

    prof = profile("darkroom", size=5, max_steps=10)
    train, test = split_tasks(prof, 5)
    model, stats = train_dpt(prof, train, ModelConfig(n_embd=48, n_layer=2, n_head=2, n_inner=96, context_episodes=4,
                                                      dropout=0.0, attn_dropout=0.0, token_mask=0.0),
                             ADTrainConfig(steps=2000, batch_size=32, lr=3e-3, warmup=30, seed=0))
    # The goal-blind prior plateaus near 1.05; DPT leaves the plateau after several hundred to a few
    # thousand steps, depending on the initialisation (1,000 steps were not enough for seeds 0 and 1).
    assert stats.final_loss < 0.85

    states, table = optimal_table(prof, test)
    b = DPTSampler(states, table, 5, model.spec.n_positions, seed=1, tables=transition_tables(prof, test, states)).batch(1000)
    target = b.pop("target")[:, -1]
    with torch.inference_mode():
        pred = model(**{k: torch.from_numpy(v) for k, v in b.items()})[:, -1].argmax(-1).numpy()
    shown = (b["prev_reward"] > 0).any(1)
    assert (pred == target)[shown].mean() > 0.9  # ~0.5 without the goal in context

    curve = evaluate_dpt(model, prof, test, EvalConfig(episodes=10, seeds=4)).mean(0)
    random = evaluate_source(prof, test, HistoryConfig(source="random", episodes=10), 10, seeds=4).mean(0)
    assert curve[-5:].mean() > curve[0] + 1.5, curve
    assert curve[-5:].mean() > random[-5:].mean() + 1.5, (curve, random)
