"""The Reward Coder's grammar: only calls of the task's reward API, arguments in range; every program it admits validates."""

from __future__ import annotations

import numpy as np
import pytest

from llmrl_core import SamplingParams
from llmrl_rewardgen.codegen import python_block
from llmrl_rewardgen.grammar import number_range
from llmrl_rewardgen.l2r import L2RConfig, L2RTranslator, prompts
from llmrl_rewardgen.l2r.grammar import reward_program_grammar


@pytest.fixture(scope="module")
def tasks():
    try:
        from llmrl_mpc.robots import make_robot

        return {name: make_robot(name) for name in ("quadruped", "manipulator")}
    except Exception as exc:  # noqa: BLE001 - llmrl-mpc is optional for llmrl-rewardgen
        pytest.skip(f"llmrl-mpc's L2R robots are not available: {exc}")


def test_number_range_admits_exactly_the_numbers_in_range(grammar_walker):
    grammar = f"start: {number_range(-0.3, 1.5)}"
    for text in ["0", "-0.3", "-0.25", "1.5", "1.50", "0.05", "1", "0.5", "-0.1"]:
        assert grammar_walker.admits(grammar, text), text
    for text in ["-0.31", "1.51", "2", "-1", "0.123", "+1", "01", ".5", "1e-1"]:
        assert not grammar_walker.admits(grammar, text), text
    positive = f"start: {number_range(0, 60, exclusive_lo=True)}"
    assert grammar_walker.admits(positive, "0.01") and grammar_walker.admits(positive, "60")
    assert not grammar_walker.admits(positive, "0") and not grammar_walker.admits(positive, "0.00")


@pytest.mark.parametrize("name", ["quadruped", "manipulator"])
def test_every_program_the_grammar_admits_validates(grammar_walker, local_sandbox, tasks, name):
    task = tasks[name]
    grammar = reward_program_grammar(task.spec_model.model_json_schema())
    checker = L2RTranslator(task, None, local_sandbox, L2RConfig(grammar="off"))  # its sandbox check and spec model
    motion, example = prompts.CODER_EXAMPLES[name]
    assert grammar_walker.admits(grammar, f"```python\n{example}\n```"), "the prompt's example is outside the grammar"
    assert checker.validate_program(example)[1] is None
    rng = np.random.default_rng(0)
    for _ in range(8):
        reply = grammar_walker.sample(grammar, rng)
        verdict, error = checker.validate_program(python_block()(reply))
        assert error is None, (error, reply)
        assert verdict["calls"][-1]["fn"] == "execute_plan"


def test_the_grammar_refuses_invented_calls_and_out_of_range_values(grammar_walker, tasks):
    grammar = reward_program_grammar(tasks["quadruped"].spec_model.model_json_schema())
    good = "```python\nset_torso_targets(target_torso_height=0.45)\nexecute_plan(plan_duration=2)\n```"
    assert grammar_walker.admits(grammar, good)
    for bad in [
        good.replace("0.45", "0.9"),  # height above its documented 0.7
        good.replace("set_torso_targets", "set_body_height"),  # not in the API
        good.replace("execute_plan(plan_duration=2)\n", ""),  # must end with execute_plan
        good.replace("target_torso_height=0.45", "target_torso_location_xy=(1, 0), target_torso_velocity_xy=(0.3, 0)"),
        good.replace("(target_torso_height=0.45)", "(0.45)"),  # keyword arguments only
        good.replace("set_torso_targets(target_torso_height=0.45)\n", "def execute_plan(d):\n    pass\n"),
    ]:
        assert not grammar_walker.admits(grammar, bad), bad
    manip = reward_program_grammar(tasks["manipulator"].spec_model.model_json_schema())
    assert not grammar_walker.admits(manip, "```python\nset_l2_distance_reward(name_a='box', name_b='box')\n"
                                            "execute_plan(plan_duration=2)\n```")


@pytest.mark.slow
def test_the_embedded_model_under_the_grammar_writes_a_valid_program(embedded_llm, local_sandbox, tasks):
    """SmolLM2-135M, which never wrote a valid reward program freely, writes one under the grammar (one reply).

    One call and one segment keep the longest admitted program under ~60 tokens, so the 80-token reply cannot be cut.
    """
    task = tasks["manipulator"]
    config = L2RConfig(grammar_max_calls=1, grammar_max_segments=1)  # grammar "auto": on for transformers
    translator = L2RTranslator(task, embedded_llm, local_sandbox, config)
    assert translator.grammar is not None
    messages = translator.coder_messages("Turn the arm's base to 75% of its range.", description=False)
    (gen,) = embedded_llm.generate([messages], SamplingParams(temperature=0.3, max_tokens=80, seed=0,
                                                              grammar=translator.grammar))
    assert gen.finish_reason == "stop" and gen.metadata["grammar_complete"], gen.text
    verdict, error = translator.validate_program(python_block()(gen.text))
    assert error is None, (error, gen.text)
