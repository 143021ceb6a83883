"""BabyAI levels through the registry, and the bot's captions aligned with its subgoals."""

from __future__ import annotations

import pytest

from llmrl_core import make_env
from llmrl_core.testing import EnvironmentConformance


class TestGoToLocalConformance(EnvironmentConformance):
    env_id = "llmrl/BabyAI-GoToLocal-v0"
    rollout_steps = 100


def test_unknown_level_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown BabyAI level 'Nope'"):
        make_env("llmrl/BabyAI-GoToLocal-v0", level="Nope")


def test_bot_demo_succeeds_and_captions_follow_subgoal_changes():
    env = make_env("llmrl/BabyAI-MiniBossLevel-v0").unwrapped
    demos = [d for d in (env.demonstrate(seed) for seed in range(6)) if d is not None]
    assert len(demos) >= 4
    for demo in demos:
        assert demo.reward > 0 and len(demo.actions) == len(demo.captions) == len(demo.subgoals)
        assert demo.captions[0] is not None  # the first step always says what it is about to do
        spoken = [c for c in demo.captions if c is not None]
        # A caption is emitted exactly when the caption of the top subgoal changes ...
        assert all(a != b for a, b in zip(spoken, spoken[1:], strict=False))
        # ... and only then: a silent step keeps the previous subgoal's caption.
        for i in range(1, len(demo.captions)):
            if demo.captions[i] is None:
                assert demo.subgoals[i].split(":")[0] == demo.subgoals[i - 1].split(":")[0] or "Explore" in demo.subgoals[i]
    # MiniBossLevel needs more than going somewhere: the bot also opens doors or picks things up.
    vocabulary = {c for d in demos for c in d.captions if c}
    assert any(c.startswith("go to the") for c in vocabulary)
    assert vocabulary & {"open the door", "pick up", "drop", "explore"}


def test_go_to_local_caption_names_the_mission_object():
    env = make_env("llmrl/BabyAI-GoToLocal-v0").unwrapped
    for seed in range(10):
        demo = env.demonstrate(seed)
        if demo is None:
            continue
        target = demo.mission.removeprefix("go to ")
        assert demo.captions[-1] is None or demo.captions[-1] == f"go to {target}" or "go to" in [c for c in demo.captions if c][-1]
        assert [c for c in demo.captions if c][-1].endswith(target.split()[-1])


def test_put_next_local_captions_name_each_subgoal_in_order():
    """PutNextLocal: the captions walk through four different subgoals, naming both mission objects."""
    env = make_env("llmrl/BabyAI-PutNextLocal-v0").unwrapped
    demos = [d for d in (env.demonstrate(seed) for seed in range(8)) if d is not None]
    assert len(demos) >= 6
    for demo in demos:
        spoken = [c for c in demo.captions if c]
        moved, target = demo.mission.removeprefix("put ").split(" next to ")
        moved, target = moved.replace("a ", "the ", 1), target.replace("a ", "the ", 1)
        core = [c for c in spoken if c not in ("explore", "make room")]
        assert core[-4:] == [f"go to {moved}", "pick up", f"go next to {target}", "drop"], (demo.mission, spoken)
