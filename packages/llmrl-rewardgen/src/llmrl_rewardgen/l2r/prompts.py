"""L2R's two prompts: the Motion Descriptor's slot template and the Reward Coder's instructions.

The templates follow Yu et al. 2023 (appendix): a bullet description with ``[NUM: default]``
and ``{CHOICE: [...]}`` slots the descriptor LLM must fill. The coder prompt is generated from
the task's own ``api_description()`` (the same pydantic models that validate the spec), so the
prompt and the validator cannot drift apart.
"""

from __future__ import annotations

import re

QUADRUPED_TEMPLATE = """\
[start of description]
* This {CHOICE: [is, is not]} a new task.
* The torso of the robot should roll by [NUM: 0.0] degrees towards the right, and pitch by [NUM: 0.0] degrees with the nose down.
* The height of the robot's torso should be [NUM: 0.53] meters.
* The robot should {CHOICE: [face a certain direction, turn at a certain speed]}. If facing a direction, it should face [NUM: 0.0] degrees to the left. If turning, it should turn at [NUM: 0.0] degrees per second to the left.
* The robot should {CHOICE: [go to a certain location, move at a certain speed]}. If going to a location, it should go to x = [NUM: 0.0] m forward and y = [NUM: 0.0] m to the left. If moving, it should move forward at [NUM: 0.0] m/s and to the left at [NUM: 0.0] m/s.
* [optional] The {CHOICE: [FL, FR, RL, RR]} foot should be lifted [NUM: 0.0] m, extended forward by [NUM: 0.0] m and moved inward by [NUM: 0.0] m.
* [optional] The {CHOICE: [FL, FR, RL, RR]} foot should step at [NUM: 0.0] Hz, in the air for a ratio [NUM: 0.0] of each cycle, with phase offset [NUM: 0.0], swinging up [NUM: 0.0] m and forward [NUM: 0.0] m.
* The motion should last [NUM: 2.0] seconds.
[end of description]"""

QUADRUPED_RULES = """\
Rules:
1. If you see phrases like [NUM: default_value], replace the entire phrase with a numerical value.
2. If you see phrases like {CHOICE: [choice1, choice2, ...]}, replace the entire phrase with one of the choices listed.
3. If you see [optional], add that line only if the task needs it (one line per foot); remove the word [optional].
4. I will tell you a behaviour that I want the quadruped robot (a four-legged ant) to perform, and you will give the full description of its motion, even if you only need to change a few lines. Always start the description with [start of description] and end it with [end of description].
5. The robot has a good low-level controller that keeps it balanced as long as its pose is reasonable.
6. The torso stands 0.53 m high; it can crouch to 0.38 m and stretch to 0.63 m.
7. Feet: FL front-left, FR front-right, RL rear-left, RR rear-right. Ratios and phase offsets are between 0 and 1. A trot is diagonal feet in phase (offsets FL 0, FR 0.5, RL 0.5, RR 0).
8. Use as few bullets as possible. Be concise."""

MANIPULATOR_TEMPLATE = """\
[start of description]
* This {CHOICE: [is, is not]} a new task.
* The gripper should be close to {CHOICE: [nothing, box, ball]}.
* The {CHOICE: [box, ball]} should be close to {CHOICE: [nothing, pad, box, ball]}.
* [optional] The {CHOICE: [gripper, box, ball]} should be lifted to [NUM: 0.0] m above the table.
* [optional] The {CHOICE: [box, ball]} should be rotated to [NUM: 0.0] degrees about the vertical axis.
* [optional] The joint {CHOICE: [base_yaw, shoulder, elbow, wrist]} should be at [NUM: 0.5] of its range.
* The motion should last [NUM: 3.0] seconds.
[end of description]"""

MANIPULATOR_RULES = """\
Rules:
1. If you see phrases like [NUM: default_value], replace the entire phrase with a numerical value.
2. If you see phrases like {CHOICE: [choice1, choice2, ...]}, replace the entire phrase with one of the choices listed.
3. If you see [optional], add that line only if the task needs it; remove the word [optional].
4. I will tell you what I want a robot arm with a gripper to do on a table with a blue box, a red ball and a green pad, and you will give the full description of the motion. Always start the description with [start of description] and end it with [end of description].
5. To pick something up, the gripper first gets close to it, then it is lifted. A step that needs the object in hand is a second description.
6. Ratios are between 0 and 1. Use as few bullets as possible. Be concise."""

TEMPLATES = {"quadruped": (QUADRUPED_TEMPLATE, QUADRUPED_RULES), "manipulator": (MANIPULATOR_TEMPLATE, MANIPULATOR_RULES)}
ROBOT = {"quadruped": "a dog-like quadruped robot", "manipulator": "a robot arm with a gripper"}

# What a reply that still has an unfilled slot looks like (L2R retries such replies).
UNFILLED = re.compile(r"\[\s*NUM\b|\{\s*CHOICE\b|\bNUM\s*:|\bCHOICE\s*:")


def descriptor_system(task: str) -> str:
    """The Motion Descriptor's system prompt: the template and its rules."""
    template, rules = TEMPLATES[task]
    return (f"Describe the motion of {ROBOT[task]} using the following form:\n\n{template}\n\n{rules}")


def unfilled_slots(text: str) -> list[str]:
    """The slot markers a descriptor reply left unfilled (empty when every slot is filled)."""
    return [m.group(0) for m in UNFILLED.finditer(text)]


def extract_description(text: str) -> str:
    """The part between [start of description] and [end of description] (the whole reply without them)."""
    m = re.search(r"\[start of description\](.*?)(\[end of description\]|\Z)", text, re.S | re.I)
    return (m.group(1) if m else text).strip()


CODER_RULES = """\
Rules:
1. Only numpy may be imported (import numpy as np). Use only the functions listed above; do not invent functions or arguments.
2. Every value must lie in the range stated for it. Angles are in radians, lengths in metres, speeds in m/s or rad/s.
3. Call the functions at module level, in order, with keyword arguments; no function definitions, no input(), no printing.
4. The program must end with execute_plan(...): it runs the robot on the reward set so far.
5. Reply with the complete program in one ```python ... ``` block."""

# L2R's Reward Coder prompt ends with an example answer program; these are written for llmrl's API (their
# motions are not instructions of the benchmark suite).
CODER_EXAMPLES = {
    "quadruped": ("Bounce in place: torso at 0.5 m and level, facing forward, all four feet hopping together at 2 Hz.", """\
reset_reward()
set_torso_targets(target_torso_height=0.5, target_torso_pitch=0.0, target_torso_roll=0.0, target_torso_velocity_xy=(0.0, 0.0), target_torso_heading=0.0)
set_foot_pos_parameters(foot_name='FL', lift_height=0.0, extend_forward=0.0, move_inward=0.0)
set_foot_pos_parameters(foot_name='FR', lift_height=0.0, extend_forward=0.0, move_inward=0.0)
set_foot_pos_parameters(foot_name='RL', lift_height=0.0, extend_forward=0.0, move_inward=0.0)
set_foot_pos_parameters(foot_name='RR', lift_height=0.0, extend_forward=0.0, move_inward=0.0)
set_foot_stepping_parameters(foot_name='FL', stepping_frequency=2.0, air_ratio=0.3, phase_offset=0.0, swing_up_down=0.05, swing_forward_back=0.0, should_activate=True)
set_foot_stepping_parameters(foot_name='FR', stepping_frequency=2.0, air_ratio=0.3, phase_offset=0.0, swing_up_down=0.05, swing_forward_back=0.0, should_activate=True)
set_foot_stepping_parameters(foot_name='RL', stepping_frequency=2.0, air_ratio=0.3, phase_offset=0.0, swing_up_down=0.05, swing_forward_back=0.0, should_activate=True)
set_foot_stepping_parameters(foot_name='RR', stepping_frequency=2.0, air_ratio=0.3, phase_offset=0.0, swing_up_down=0.05, swing_forward_back=0.0, should_activate=True)
execute_plan(plan_duration=4)"""),
    "manipulator": ("Put the ball on top of the box.", """\
reset_reward()
set_l2_distance_reward(name_a='gripper', name_b='ball')
execute_plan(plan_duration=2)
set_l2_distance_reward(name_a='ball', name_b='box')
set_obj_z_position_reward(obj='ball', z=0.15)
execute_plan(plan_duration=4)"""),
}


def coder_system(task: str, api: str) -> str:
    """The Reward Coder's system prompt: the task's API (signatures, units, ranges), L2R's rules and an example answer."""
    motion, program = CODER_EXAMPLES[task]
    return (f"We have {ROBOT[task]} and a reward function API to make it move. The API:\n\n```python\n{api}\n```\n\n"
            "Each call sets the weights and targets of reward terms; the calls you make stay in force until "
            f"reset_reward() is called. Write Python code that calls this API to achieve the motion asked for.\n\n{CODER_RULES}"
            f"\n\nExample. The motion: {motion}\nAnswer:\n```python\n{program}\n```")


def coder_user(request: str, *, description: bool, current_program: str | None) -> str:
    """The Reward Coder's request: the motion (a description or the raw instruction), and the reward in force."""
    head = ("The motion, described:\n" if description else "The instruction:\n") + request.strip()
    if current_program:
        head += ("\n\nThe reward already in force (set by earlier instructions, do not repeat it):\n```python\n"
                 f"{current_program.strip()}\n```\nWrite only the calls that change it (call reset_reward() first if "
                 "this is a new task), then execute_plan(...).")
    return head + "\n\nWrite the program now."
