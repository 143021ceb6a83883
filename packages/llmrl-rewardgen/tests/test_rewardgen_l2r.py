"""The L2R translator's control flow. The LLM's replies come from a scripted TEST DOUBLE provider (they are
the input under test); every program the "coder" writes runs in the real ``local`` sandbox against the
quadruped task's real recording stub, and the spec is validated by the task's real pydantic models."""

from __future__ import annotations

import logging

import pytest

from llmrl_core import Generation, LLMProvider, SamplingParams
from llmrl_rewardgen.codegen import CodegenConfig
from llmrl_rewardgen.l2r import L2RConfig, L2RTranslator, TranslationError, call_to_code, prompts


class ScriptedTestDoubleProvider(LLMProvider):
    """TEST DOUBLE: one scripted reply per call; records every prompt and seed it was given."""

    name = "scripted-test-double"

    def __init__(self, replies: list[str]):
        self.replies = list(replies)
        self.prompts: list = []
        self.seeds: list = []

    def generate(self, prompts, params: SamplingParams | None = None) -> list[Generation]:
        self.prompts.extend(prompts)
        self.seeds.append(params.seed if params else None)
        return [Generation(text=self.replies.pop(0), finish_reason="stop") for _ in prompts]


def fenced(code: str) -> str:
    return f"Here is the program:\n```python\n{code}\n```\n"


FILLED = """[start of description]
* This is a new task.
* The height of the robot's torso should be 0.45 meters.
* The motion should last 2 seconds.
[end of description]"""

UNFILLED = FILLED.replace("0.45 meters", "[NUM: 0.53] meters")


@pytest.fixture(scope="module")
def quadruped():
    from llmrl_core import make_env

    try:
        return make_env("llmrl/Quadruped-v0").unwrapped.robot
    except Exception as exc:  # noqa: BLE001 - the env plugin is optional for llmrl-rewardgen
        pytest.skip(f"llmrl-mpc's quadruped is not available: {exc}")


def config(repairs: int = 3, **kw) -> L2RConfig:
    return L2RConfig(coder=CodegenConfig(repair_budget=repairs, timeout_s=20, memory_mb=512), **kw)


def test_prompt_construction(quadruped):
    tr = L2RTranslator(quadruped, ScriptedTestDoubleProvider([]), sandbox=None, config=config())
    desc = tr.descriptor_messages("Crouch.")
    assert desc[0]["role"] == "system" and "[NUM: 0.53]" in desc[0]["content"] and "{CHOICE: [is, is not]}" in desc[0]["content"]
    assert "[start of description]" in desc[0]["content"] and desc[-1] == {"role": "user", "content": "Crouch."}
    coder = tr.coder_messages("* The height should be 0.45 meters.", description=True)
    system = coder[0]["content"]
    assert quadruped.api_description() in system  # the prompt is the validating models' own description
    for must in ("def set_torso_targets(", "set_foot_stepping_parameters", "Only numpy may be imported", "execute_plan"):
        assert must in system
    assert coder[1]["content"].startswith("The motion, described:") and "already in force" not in coder[1]["content"]
    assert tr.coder_messages("Crouch.", description=False)[1]["content"].startswith("The instruction:")


def test_slot_helpers():
    assert prompts.unfilled_slots(UNFILLED) == ["[NUM"]
    assert prompts.unfilled_slots("go {CHOICE: [a, b]} or CHOICE: a") == ["{CHOICE", "CHOICE:"]
    assert prompts.unfilled_slots(FILLED) == []
    assert prompts.extract_description("chatter " + FILLED + " more").startswith("* This is a new task.")
    assert call_to_code({"fn": "set_torso_targets", "target_torso_height": 0.45, "target_torso_pitch": None}) == \
        "set_torso_targets(target_torso_height=0.45)"


def test_descriptor_retries_unfilled_slots_then_codes(quadruped, local_sandbox, caplog):
    llm = ScriptedTestDoubleProvider([UNFILLED, "", FILLED,
                                      fenced("set_torso_targets(target_torso_height=0.45)\nexecute_plan(2)")])
    tr = L2RTranslator(quadruped, llm, local_sandbox, config(descriptor_retries=3, seed=7))
    with caplog.at_level(logging.INFO, logger="llmrl_rewardgen"):
        turn = tr.translate("Crouch: lower your torso to 0.45 m.")
    assert turn.descriptor_replies == [UNFILLED, "", FILLED] and llm.seeds[:3] == [7, 8, 9]  # a new sample each try
    assert "slot(s) left unfilled ([NUM)" in caplog.text
    assert turn.description.startswith("* This is a new task.") and turn.description in llm.prompts[3][1]["content"]
    assert turn.spec_json["calls"] == [
        {"fn": "set_torso_targets", "target_torso_height": 0.45, "target_torso_pitch": None, "target_torso_roll": None,
         "target_torso_location_xy": None, "target_torso_velocity_xy": None, "target_torso_heading": None,
         "target_turning_speed": None},
        {"fn": "execute_plan", "plan_duration": 2.0}]


def test_descriptor_gives_up_without_calling_the_coder(quadruped, local_sandbox):
    llm = ScriptedTestDoubleProvider([UNFILLED, UNFILLED])
    tr = L2RTranslator(quadruped, llm, local_sandbox, config(descriptor_retries=1))
    with pytest.raises(TranslationError, match=r"did not fill its template in 2 tries: 1 slot\(s\) still unfilled") as err:
        tr.translate("Crouch.")
    assert err.value.stage == "descriptor" and len(llm.prompts) == 2 and tr.turns == [] and tr.history == []


def test_repairs_wrong_name_wrong_argument_and_out_of_range(quadruped, local_sandbox, caplog):
    llm = ScriptedTestDoubleProvider([
        fenced("set_torso_height(0.45)\nexecute_plan(2)"),                     # invented function
        fenced("set_torso_targets(height=0.45)\nexecute_plan(2)"),             # invented argument
        fenced("set_torso_targets(target_torso_height=2.0)\nexecute_plan(2)"),  # out of range
        fenced("set_torso_targets(target_torso_height=0.45)"),                 # no execute_plan
        fenced("import numpy as np\nset_torso_targets(target_torso_height=np.float64(0.45))\nexecute_plan(plan_duration=2)"),
    ])
    tr = L2RTranslator(quadruped, llm, local_sandbox, config(repairs=4, use_descriptor=False))
    with caplog.at_level(logging.INFO, logger="llmrl_rewardgen"):
        turn = tr.translate("Crouch: lower your torso to 0.45 m.")
    errors = turn.transcript.errors()
    assert len(errors) == 4 and turn.coder_rounds == 5
    assert "NameError: name 'set_torso_height' is not defined" in errors[0] and "set_torso_targets" in errors[0]
    assert "unexpected keyword argument 'height'" in errors[1]
    assert "calls.0.set_torso_targets.target_torso_height" in errors[2] and "0.7" in errors[2]
    assert "must end with an execute_plan call" in errors[3]
    assert errors[2] in llm.prompts[3][-1]["content"]  # each error goes back to the coder
    assert caplog.text.count("rejected:") == 4 and "accepted" in caplog.text  # repair rounds visible in the log
    assert turn.spec.calls[0].target_torso_height == 0.45


def test_refuses_imports_and_api_redefinitions(quadruped, local_sandbox):
    llm = ScriptedTestDoubleProvider([
        fenced("import os\nset_torso_targets(target_torso_height=0.45)\nexecute_plan(2)"),
        fenced("def execute_plan(d):\n    pass\nset_torso_targets(target_torso_height=0.45)\nexecute_plan(2)"),
    ])
    tr = L2RTranslator(quadruped, llm, local_sandbox, config(repairs=1, use_descriptor=False))
    with pytest.raises(TranslationError) as err:
        tr.translate("Crouch.")
    errors = err.value.turn.transcript.errors()
    assert "import of os is not allowed" in errors[0]
    assert "do not define execute_plan" in errors[1] and err.value.last_error == errors[1]


def test_failure_after_the_repair_budget_names_the_last_error(quadruped, local_sandbox):
    llm = ScriptedTestDoubleProvider(["I cannot write code.", fenced("walk_forward(1)\nexecute_plan(2)"),
                                      fenced("set_torso_targets(target_torso_height=5)\nexecute_plan(2)")])
    tr = L2RTranslator(quadruped, llm, local_sandbox, config(repairs=2, use_descriptor=False))
    with pytest.raises(TranslationError, match=r"within 3 round\(s\) \(1 attempt \+ 2 repairs\); no controller was started"
                       r"(.|\n)*target_torso_height") as err:
        tr.translate("Fly to the moon.")
    assert err.value.stage == "coder" and "no fenced Python code block" in err.value.turn.transcript.errors()[0]
    assert tr.reward_calls == [] and tr.turns == []  # a failed turn leaves the conversation unchanged


def test_multi_turn_follow_up_edits_the_previous_spec(quadruped, local_sandbox):
    walk = FILLED.replace("This is a new task", "This is not a new task").replace("0.45 meters", "0.45 meters. Move forward at 0.3 m/s")
    llm = ScriptedTestDoubleProvider([
        FILLED, fenced("set_torso_targets(target_torso_height=0.45)\nexecute_plan(2)"),
        walk, fenced("set_torso_targets(target_torso_velocity_xy=(0.3, 0.0))\nexecute_plan(3)"),
        FILLED, fenced("reset_reward()\nset_foot_pos_parameters('FL', lift_height=0.1)\nexecute_plan(2)"),
    ])
    tr = L2RTranslator(quadruped, llm, local_sandbox, config())
    first = tr.translate("Crouch to 0.45 m.")
    second = tr.translate("Now walk forward at 0.3 m/s.")
    # the descriptor sees the conversation; the coder sees only the reward in force, not the history
    assert llm.prompts[2][1:3] == [{"role": "user", "content": "Crouch to 0.45 m."}, {"role": "assistant", "content": first.description}]
    coder2 = llm.prompts[3]
    assert len(coder2) == 2 and "already in force" in coder2[1]["content"]
    assert "set_torso_targets(target_torso_height=0.45)" in coder2[1]["content"]
    assert [c.fn for c in second.spec.calls] == ["set_torso_targets", "set_torso_targets", "execute_plan"]
    assert second.spec.calls[0].target_torso_height == 0.45 and second.spec.calls[1].target_torso_velocity_xy == (0.3, 0.0)
    assert second.spec.calls[-1].plan_duration == 3.0
    # reset_reward starts over: the earlier reward no longer carries into the next turn
    third = tr.translate("New task: lift your front-left foot 10 cm.")
    assert [c.fn for c in third.spec.calls] == ["reset_reward", "set_foot_pos_parameters", "execute_plan"]
    assert [c["fn"] for c in tr.reward_calls] == ["set_foot_pos_parameters"]
    assert len(tr.history) == 6
