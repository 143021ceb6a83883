"""The drop-in snippets on docs/llmrl-rewardgen.md run as pasted (short budgets are in the snippets)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("stable_baselines3")
pytest.importorskip("mujoco")


def test_sb3_episode_mode_trains_the_decoder_through_the_sandbox(run_doc_snippet) -> None:
    out = run_doc_snippet("llmrl-rewardgen.md", "sb3-episode").stdout
    weights = re.search(r"decoder weights per factor: \[(.*)\] sandbox calls: (\d+)", out)
    assert weights, out
    assert int(weights.group(2)) == 12  # one call per 50-step episode
    assert any(float(w) != 0.0 for w in weights.group(1).split())  # the decoder learnt from the returns


def test_sb3_step_mode_runs_ppo_on_the_proxy_reward(run_doc_snippet) -> None:
    run_doc_snippet("llmrl-rewardgen.md", "sb3-step")


def test_cleanrl_loop_relabels_and_learns(run_doc_snippet) -> None:
    out = run_doc_snippet("llmrl-rewardgen.md", "cleanrl").stdout
    match = re.search(r"episodes: (\d+) critic loss: ([-\d.e]+)", out)
    assert match and int(match.group(1)) == 20, out  # 1000 steps of 50-step episodes
