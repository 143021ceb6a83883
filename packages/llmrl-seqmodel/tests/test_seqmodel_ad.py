"""Algorithm Distillation end to end on a small Dark Room: histories, model, in-context learning."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmrl_seqmodel.config import ADRunConfig, ADTrainConfig, EvalConfig, HistoryConfig, ModelConfig
from llmrl_seqmodel.envs import profile, split_tasks
from llmrl_seqmodel.history import Histories, collect

SMALL_ROOM = {"size": 5, "max_steps": 10}


def test_history_generation_is_deterministic_under_a_seed(tmp_path):
    prof = profile("darkroom", **SMALL_ROOM)
    train, _ = split_tasks(prof, 5)
    cfg = HistoryConfig(episodes=6, histories_per_task=2, workers=1, seed=3)
    a = collect(prof, train[:4], cfg)
    b = collect(prof, train[:4], cfg.model_copy(update={"workers": 2}))  # parallel: same result
    c = collect(prof, train[:4], cfg.model_copy(update={"seed": 4}))
    for field in ("obs", "actions", "rewards", "steps", "offsets"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.actions, c.actions)
    a.save(tmp_path / "h")
    back = Histories.load(tmp_path / "h")
    np.testing.assert_array_equal(back.obs, a.obs)
    assert back.tasks == a.tasks
    manifest = json.loads((tmp_path / "h" / "manifest.json").read_text())
    assert manifest["histories"] == 8 and manifest["transitions"] == 8 * 6 * 10


def test_histories_are_the_same_on_a_local_pool_and_on_ray(ray_cluster):
    prof = profile("darkroom", **SMALL_ROOM)
    train, _ = split_tasks(prof, 5)
    cfg = HistoryConfig(episodes=4, histories_per_task=2, workers=2, seed=1)
    local = collect(prof, train[:3], cfg.model_copy(update={"executor": "local"}))
    on_ray = collect(prof, train[:3], cfg.model_copy(update={"executor": "ray"}))
    for field in ("obs", "actions", "rewards", "offsets"):
        np.testing.assert_array_equal(getattr(local, field), getattr(on_ray, field))


def test_oracle_eps_histories_improve_under_annealed_noise():
    prof = profile("darkroom", **SMALL_ROOM)
    train, _ = split_tasks(prof, 5)
    noisy = collect(prof, train, HistoryConfig(source="oracle-eps", episodes=20, histories_per_task=1, workers=1))
    returns = np.array(noisy.episode_returns)
    assert returns[:, :3].mean() < 2.0 < returns[:, -3:].mean()  # eps: 1 -> 0 across the history


@pytest.mark.parametrize("source", ["q-learning", "policy-gradient"])
def test_rl_learners_improve_over_their_episodes_on_dark_room(source):
    """The default sources are learners: on Dark Room 9x9 (the tuned defaults) their return rises over the history."""
    prof = profile("darkroom")
    train, _ = split_tasks(prof, 20)
    hist = collect(prof, train[::6], HistoryConfig(source=source, episodes=40, histories_per_task=1, workers=1, seed=0))
    returns = np.array(hist.episode_returns)  # [10 goals, 40 episodes]
    assert returns[:, :5].mean() < 5.0 and returns[:, -10:].mean() > returns[:, :5].mean() + 5.0, returns.mean(0)


def test_q_learning_remembers_the_key_on_key_to_door():
    """Key-to-Door's key is invisible: the learner's state adds 'rewarded yet in this episode', and it learns both."""
    prof = profile("key-to-door", size=5, max_steps=30)
    tasks = [((0, 4), (4, 0)), ((4, 4), (0, 0)), ((2, 0), (2, 4))]
    hist = collect(prof, tasks, HistoryConfig(episodes=150, histories_per_task=1, workers=1, seed=0))
    returns = np.array(hist.episode_returns)
    assert returns[:, :10].mean() < 0.8 and returns[:, -20:].mean() > 1.4, returns.mean(0)[::10]  # 2 = key and door
    assert hist.meta["config"]["source"] == "q-learning"  # None in the config: the env's learner, named


@pytest.mark.parametrize("source", ["ucb", "thompson", "eps-greedy"])
def test_bandit_learners_find_good_arms(source):
    prof = profile("bandit")
    train, _ = split_tasks(prof, 4, n_train=12)
    hist = collect(prof, train, HistoryConfig(source=source, episodes=1, histories_per_task=1, workers=1))
    rewards = hist.rewards.reshape(12, 100)
    uniform = np.mean(train)  # what pulling arms at random earns
    assert rewards[:, :10].mean() < rewards[:, 50:].mean() and rewards[:, 50:].mean() > uniform + 0.1


def test_sources_an_env_cannot_take_are_clear_errors():
    with pytest.raises(ValueError, match="'ucb' is for the bandit"):
        collect(profile("darkroom"), [(0, 0)], HistoryConfig(source="ucb", workers=1))
    with pytest.raises(ValueError, match="the bandit has one state"):
        collect(profile("bandit"), profile("bandit").make().tasks(n=1), HistoryConfig(source="q-learning", workers=1))


def test_keep_every_logs_every_kth_episode_of_the_same_learner():
    prof = profile("darkroom", **SMALL_ROOM)
    train, _ = split_tasks(prof, 5)
    cfg = HistoryConfig(episodes=12, histories_per_task=1, workers=1, seed=2)
    full, sparse = collect(prof, train[:3], cfg), collect(prof, train[:3], cfg.model_copy(update={"keep_every": 4}))
    assert sparse.offsets[-1] == full.offsets[-1] // 4  # episodes 0, 4, 8 of each history
    first = full.history(0)
    np.testing.assert_array_equal(sparse.history(0)["actions"][10:20], first["actions"][40:50])
    assert sparse.episode_returns == full.episode_returns  # the learner's whole curve is kept


@pytest.mark.slow
def test_small_ad_run_learns_in_context_on_held_out_goals(tmp_path):
    """AD's claim at toy scale: with an empty context the return is low; it rises across episodes."""
    from llmrl_seqmodel.pipeline import collect_run, eval_run, train_run

    cfg = ADRunConfig(
        env="darkroom", env_kwargs=SMALL_ROOM, n_test=5,
        history=HistoryConfig(source="explorer-eps", episodes=12, histories_per_task=8, workers=1, seed=0,
                              anneal_fraction=0.4),
        # A tiny model without AD's heavy regularisers: it has to learn in a few hundred steps.
        model=ModelConfig(n_embd=48, n_layer=2, n_head=2, n_inner=96, context_episodes=4,
                          dropout=0.0, attn_dropout=0.0, token_mask=0.0),
        train=ADTrainConfig(steps=500, batch_size=32, lr=3e-3, warmup=30),
        eval=EvalConfig(episodes=12, seeds=4),
    )
    collect_run(tmp_path, cfg)
    summary = train_run(tmp_path, "ad")
    assert summary["final_loss"] < 0.8
    res = eval_run(tmp_path, ["ad", "source"])
    curve = np.array(res["methods"]["ad"]["curve"])
    # Goals are unseen (held out) and the context starts empty: the first episodes explore,
    # later ones go to the goal found in context.
    assert curve[-4:].mean() > curve[:2].mean() + 1.5, curve
    assert (tmp_path / "curves.png").stat().st_size > 1000
