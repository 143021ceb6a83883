"""What the LLM is told about each task: description, observation layout and ACTION layout.

LaRe's public prompt omits the action layout although ``evaluation_func`` receives
the action; llmrl sends it. Layouts follow Gymnasium's v5 MuJoCo environments.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmrl_core import ConfigError

_HC_JOINTS = ["back thigh", "back shin", "back foot", "front thigh", "front shin", "front foot"]
_WALKER_JOINTS = ["right thigh", "right leg", "right foot", "left thigh", "left leg", "left foot"]


def _rows(items: list[tuple[str, str]]) -> str:
    return "\n".join(f"- {idx}: {text}" for idx, text in items)


@dataclass(frozen=True)
class TaskDescription:
    """The three texts LaRe's prompt needs for one environment."""

    env_id: str
    description: str
    observation_form: str
    action_form: str
    obs_dim: int
    act_dim: int


def _planar_observation(joints: list[str], torso_angle: str) -> str:
    """The 17-dim observation of Gymnasium's planar walkers (HalfCheetah, Walker2d): positions, then velocities."""
    return _rows([
        ("observation[:, 0]", "z coordinate (height) of the torso"),
        ("observation[:, 1]", torso_angle),
        *[(f"observation[:, {2 + i}]", f"angle of the {j} joint") for i, j in enumerate(joints)],
        ("observation[:, 8]", "velocity of the torso along x (forward speed)"),
        ("observation[:, 9]", "velocity of the torso along z"),
        ("observation[:, 10]", "angular velocity of the torso"),
        *[(f"observation[:, {11 + i}]", f"angular velocity of the {j} joint") for i, j in enumerate(joints)],
    ])


def _joint_torques(joints: list[str]) -> str:
    return _rows([(f"action[:, {i}]", f"torque on the {j} joint, in [-1, 1]") for i, j in enumerate(joints)])


REACHER = TaskDescription(
    env_id="Reacher-v5",
    description=(
        "Reacher: a two-jointed robot arm in a plane must move its fingertip to a randomly placed target. "
        "Each episode lasts 50 steps. The agent should reach the target quickly and hold the fingertip there "
        "while using little torque."
    ),
    observation_form=_rows([
        ("observation[:, 0]", "cosine of the first arm's angle"),
        ("observation[:, 1]", "cosine of the second arm's angle"),
        ("observation[:, 2]", "sine of the first arm's angle"),
        ("observation[:, 3]", "sine of the second arm's angle"),
        ("observation[:, 4]", "x coordinate of the target"),
        ("observation[:, 5]", "y coordinate of the target"),
        ("observation[:, 6]", "angular velocity of the first arm"),
        ("observation[:, 7]", "angular velocity of the second arm"),
        ("observation[:, 8]", "x of (fingertip - target)"),
        ("observation[:, 9]", "y of (fingertip - target)"),
    ]),
    action_form=_rows([
        ("action[:, 0]", "torque applied at the first joint, in [-1, 1]"),
        ("action[:, 1]", "torque applied at the second joint, in [-1, 1]"),
    ]),
    obs_dim=10,
    act_dim=2,
)

HALF_CHEETAH = TaskDescription(
    env_id="HalfCheetah-v5",
    description=(
        "HalfCheetah: a 2-D cat-like robot with a torso, a back leg and a front leg (thigh, shin, foot each) must run "
        "forward (in the +x direction) as fast as possible. Each episode lasts 1000 steps. Large torques are costly."
    ),
    observation_form=_planar_observation(_HC_JOINTS, "angle of the torso (pitch)"),
    action_form=_joint_torques(_HC_JOINTS),
    obs_dim=17,
    act_dim=6,
)

WALKER2D = TaskDescription(
    env_id="Walker2d-v5",
    description=(
        "Walker2d: a 2-D biped (torso, two thighs, two legs, two feet) must walk forward (+x) as fast as possible "
        "without falling. The episode ends when the torso height leaves [0.8, 2.0] or its angle leaves [-1, 1]; "
        "at most 1000 steps. Large torques are costly."
    ),
    observation_form=_planar_observation(_WALKER_JOINTS, "angle of the torso"),
    action_form=_joint_torques(_WALKER_JOINTS),
    obs_dim=17,
    act_dim=6,
)

HUMANOID_STANDUP = TaskDescription(
    env_id="HumanoidStandup-v5",
    description=(
        "HumanoidStandup: a 3-D humanoid starts lying on the ground and must stand up and stay standing, "
        "raising its torso as high as possible. Each episode lasts 1000 steps. Large torques and hard impacts "
        "with the ground are costly."
    ),
    observation_form=_rows([
        ("observation[:, 0]", "z coordinate (height) of the torso"),
        ("observation[:, 1:5]", "orientation of the torso as a quaternion (w, x, y, z)"),
        ("observation[:, 5:22]", "angles of the 17 joints (abdomen, hips, knees, shoulders, elbows)"),
        ("observation[:, 22:25]", "linear velocity of the torso (x, y, z)"),
        ("observation[:, 25:28]", "angular velocity of the torso"),
        ("observation[:, 28:45]", "angular velocities of the 17 joints"),
        ("observation[:, 45:175]", "mass and inertia of the 13 body parts (10 values each)"),
        ("observation[:, 175:253]", "centre-of-mass velocities of the 13 body parts (6 values each)"),
        ("observation[:, 253:270]", "actuator forces of the 17 joints"),
        ("observation[:, 270:348]", "external contact forces on the 13 body parts (6 values each)"),
    ]),
    action_form=(
        "- action[:, 0:17]: torques on the 17 joints, each in [-0.4, 0.4] (abdomen y, z, x; right hip x, z, y; "
        "right knee; left hip x, z, y; left knee; right shoulder 1, 2; right elbow; left shoulder 1, 2; left elbow)"
    ),
    obs_dim=348,
    act_dim=17,
)

TASKS: dict[str, TaskDescription] = {t.env_id: t for t in (REACHER, HALF_CHEETAH, WALKER2D, HUMANOID_STANDUP)}


def task_description(env_id: str) -> TaskDescription:
    """The description of ``env_id`` (v4 ids map to the same v5 layout)."""
    key = env_id.replace("-v4", "-v5")
    if key not in TASKS:
        raise ConfigError(
            f"no task description for environment {env_id!r}; known: {', '.join(TASKS)}. "
            "For another environment, build a TaskDescription(env_id, description, observation_form, action_form, "
            "obs_dim, act_dim) and pass it to generate_latent_function(task=...)."
        )
    return TASKS[key]
