"""Reward specs: plain JSON lists of reward-API calls, validated strictly.

A spec is what an L2R reward coder's program *does*, recorded: the sequence of
calls to the robot's reward-parameter API (``set_torso_targets(...)``,
``execute_plan(2)``, ...). Each call is a pydantic model with the argument
ranges the robot can reach; unknown functions, unknown arguments or
out-of-range values fail with an error naming the field. Units: metres,
radians, seconds, Hz; fractions in [0, 1].
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from llmrl_core.errors import ConfigError

FootName = Literal["FL", "FR", "RL", "RR"]
PI = math.pi


class RewardSpecError(ConfigError):
    """A reward spec that does not validate; the message names each bad field."""


class _Call(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


XY = tuple[Annotated[float, Field(ge=-20, le=20)], Annotated[float, Field(ge=-20, le=20)]]
VXY = tuple[Annotated[float, Field(ge=-1.5, le=1.5)], Annotated[float, Field(ge=-1.5, le=1.5)]]


class SetTorsoTargets(_Call):
    """Torso targets; ``None`` leaves a target unset. At most one of location/velocity and of heading/turning."""

    # the cross-field rules below, stated in the JSON schema too (grammar builders read them)
    model_config = ConfigDict(json_schema_extra={"x-exclusive": [
        ["target_torso_location_xy", "target_torso_velocity_xy"], ["target_torso_heading", "target_turning_speed"]]})

    fn: Literal["set_torso_targets"]
    target_torso_height: float | None = Field(None, ge=0.3, le=0.7, description="m above the ground (ant stands 0.38-0.63)")
    target_torso_pitch: float | None = Field(None, ge=-0.8, le=0.8, description="rad; positive lowers the front")
    target_torso_roll: float | None = Field(None, ge=-0.8, le=0.8, description="rad; positive lowers the right side")
    target_torso_location_xy: XY | None = Field(None, description="m, (x, y) in the world frame, each within [-20, 20]")
    target_torso_velocity_xy: VXY | None = Field(None, description="m/s, (forward, left) in the heading frame, each within [-1.5, 1.5]")
    target_torso_heading: float | None = Field(None, ge=-2 * PI, le=2 * PI, description="rad, yaw in the world frame")
    target_turning_speed: float | None = Field(None, ge=-3.0, le=3.0, description="rad/s, positive turns left")

    @model_validator(mode="after")
    def _one_of_each(self) -> SetTorsoTargets:
        if self.target_torso_location_xy is not None and self.target_torso_velocity_xy is not None:
            raise ValueError("set target_torso_location_xy or target_torso_velocity_xy, not both (one must be None)")
        if self.target_torso_heading is not None and self.target_turning_speed is not None:
            raise ValueError("set target_torso_heading or target_turning_speed, not both (one must be None)")
        return self


class SetFootPosParameters(_Call):
    """Hold a foot at an offset from its standing place (heading frame)."""

    fn: Literal["set_foot_pos_parameters"]
    foot_name: FootName
    lift_height: float | None = Field(None, ge=0.0, le=0.4, description="m above its resting height")
    extend_forward: float | None = Field(None, ge=-0.3, le=0.3, description="m, + forward")
    move_inward: float | None = Field(None, ge=-0.3, le=0.3, description="m, + towards the body's midline")


class SetFootSteppingParameters(_Call):
    """A periodic stepping pattern for one foot (a gait is four of these)."""

    fn: Literal["set_foot_stepping_parameters"]
    foot_name: FootName
    stepping_frequency: float = Field(ge=0.0, le=4.0, description="Hz")
    air_ratio: float = Field(ge=0.0, le=1.0, description="share of each cycle in the air")
    phase_offset: float = Field(ge=0.0, le=1.0, description="share of a cycle this foot lags")
    swing_up_down: float = Field(ge=0.0, le=0.3, description="m of lift at mid-swing")
    swing_forward_back: float = Field(ge=-0.3, le=0.3, description="m of forward travel per swing")
    should_activate: bool = True


class ExecutePlan(_Call):
    """Run the controller on the reward set so far for ``plan_duration`` seconds."""

    fn: Literal["execute_plan"]
    plan_duration: float = Field(2.0, gt=0.0, le=60.0, description="s of simulated time")


class ResetReward(_Call):
    """Back to the default reward (stand still, level, at the nominal height)."""

    fn: Literal["reset_reward"]


MANIPULATOR_BODIES = ("gripper", "box", "ball", "pad")
MANIPULATOR_JOINTS = ("base_yaw", "shoulder", "elbow", "wrist")
BodyName = Literal["gripper", "box", "ball", "pad"]
MovableName = Literal["gripper", "box", "ball"]
JointName = Literal["base_yaw", "shoulder", "elbow", "wrist"]


class SetL2DistanceReward(_Call):
    """Bring two bodies together (their centres; ``pad`` is a fixed target on the table)."""

    model_config = ConfigDict(json_schema_extra={"x-distinct": [["name_a", "name_b"]]})  # the rule below, in the schema

    fn: Literal["set_l2_distance_reward"]
    name_a: BodyName
    name_b: BodyName

    @model_validator(mode="after")
    def _distinct(self) -> SetL2DistanceReward:
        if self.name_a == self.name_b:
            raise ValueError(f"name_a and name_b must differ, both are {self.name_a!r}")
        return self


class SetObjZPositionReward(_Call):
    fn: Literal["set_obj_z_position_reward"]
    obj: MovableName
    z: float = Field(ge=0.0, le=0.8, description="m above the table")


class SetObjOrientationReward(_Call):
    fn: Literal["set_obj_orientation_reward"]
    obj: MovableName
    radians: float = Field(ge=-PI, le=PI, description="yaw of the body's x axis about the world z axis")


class SetJointFractionReward(_Call):
    fn: Literal["set_joint_fraction_reward"]
    joint: JointName
    fraction: float = Field(ge=0.0, le=1.0, description="0 = lower joint limit, 1 = upper")


QuadrupedCall = Annotated[
    SetTorsoTargets | SetFootPosParameters | SetFootSteppingParameters | ExecutePlan | ResetReward,
    Field(discriminator="fn"),
]
ManipulatorCall = Annotated[
    SetL2DistanceReward | SetObjZPositionReward | SetObjOrientationReward | SetJointFractionReward | ExecutePlan | ResetReward,
    Field(discriminator="fn"),
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _ends_with_execute(self) -> _Spec:
        calls = self.calls
        if not calls or calls[-1].fn != "execute_plan":
            raise ValueError("a spec must end with an execute_plan call (L2R's rule), e.g. {\"fn\": \"execute_plan\", \"plan_duration\": 2}")
        return self

    def segments(self) -> list[tuple[list[Any], float]]:
        """Split into (reward calls, duration) segments at each ``execute_plan``."""
        out, pending = [], []
        for call in self.calls:
            if call.fn == "execute_plan":
                out.append((pending, call.plan_duration))
                pending = []
            else:
                pending.append(call)
        return out


class QuadrupedSpec(_Spec):
    task: Literal["quadruped"] = "quadruped"
    calls: list[QuadrupedCall] = Field(min_length=1, max_length=64)


class ManipulatorSpec(_Spec):
    task: Literal["manipulator"] = "manipulator"
    calls: list[ManipulatorCall] = Field(min_length=1, max_length=64)


SPEC_MODELS: dict[str, type[_Spec]] = {"quadruped": QuadrupedSpec, "manipulator": ManipulatorSpec}


def _format(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        got = f" (got {err['input']!r})" if "input" in err and not isinstance(err["input"], dict | list) else ""
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  {loc or '(spec)'}: {msg}{got}")
    return "\n".join(lines)


def validate_spec(data: dict[str, Any] | str, task: str | None = None) -> QuadrupedSpec | ManipulatorSpec:
    """Validate a spec (a dict or JSON text); raises :class:`RewardSpecError` naming every bad field."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise RewardSpecError(f"reward spec is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RewardSpecError(f"reward spec must be a JSON object with 'task' and 'calls', got {type(data).__name__}")
    name = task or data.get("task")
    if name not in SPEC_MODELS:
        raise RewardSpecError(f"reward spec: task must be one of {sorted(SPEC_MODELS)}, got {name!r}")
    if task is not None and data.get("task", task) != task:
        raise RewardSpecError(f"reward spec is for task {data.get('task')!r} but task {task!r} was asked for")
    try:
        return SPEC_MODELS[name].model_validate(data)
    except ValidationError as exc:
        raise RewardSpecError(f"reward spec for {name!r} is invalid:\n{_format(exc)}\n"
                              f"Fix those fields; the schema is llmrl_mpc.robots.spec.{SPEC_MODELS[name].__name__}.") from None


def load_spec(path: str | Path, task: str | None = None) -> QuadrupedSpec | ManipulatorSpec:
    path = Path(path)
    if not path.is_file():
        raise RewardSpecError(f"reward spec file {str(path)!r} does not exist")
    return validate_spec(path.read_text(), task)


# ----------------------------------------------------------------------------------
# What an L2R translator needs: the API as prompt text, and a recording stub to run the coder's program against.
# ----------------------------------------------------------------------------------
def _call_models(task: str) -> list[type[_Call]]:
    import typing

    union = QuadrupedCall if task == "quadruped" else ManipulatorCall
    return list(typing.get_args(typing.get_args(union)[0]))  # Annotated[Union[...], Field] -> the call classes


def _signature(model: type[_Call]) -> tuple[str, list[tuple[str, Any]]]:
    fn = model.model_fields["fn"].annotation.__args__[0]
    params = []
    for name, info in model.model_fields.items():
        if name != "fn":
            params.append((name, ... if info.is_required() else info.default))
    return fn, params


def api_description(task: str) -> str:
    """The reward API as text for a Reward Coder prompt: signatures, units and ranges, from the validating models."""
    if task not in SPEC_MODELS:
        raise RewardSpecError(f"unknown task {task!r}; choose one of {sorted(SPEC_MODELS)}")
    lines = []
    for model in _call_models(task):
        fn, params = _signature(model)
        args = ", ".join(n if d is ... else f"{n}={d!r}" for n, d in params)
        lines.append(f"def {fn}({args}):")
        lines.append(f'    """{(model.__doc__ or "").strip()}')
        schema = model.model_json_schema()
        for name, _ in params:
            prop = schema["properties"][name]
            bounds = [f"{k} {prop_bound}" for k, key in ((">=", "minimum"), ("<=", "maximum"), (">", "exclusiveMinimum"))
                      for prop_bound in [_find(prop, key)] if prop_bound is not None]
            enum = _find(prop, "enum")
            desc = _find(prop, "description") or ""
            extra = "; ".join(filter(None, [desc, ", ".join(bounds), f"one of {enum}" if enum else ""]))
            lines.append(f"    {name}: {extra}" if extra else f"    {name}")
        lines.append('    """')
    return "\n".join(lines)


def _find(prop: dict, key: str) -> Any:
    if key in prop:
        return prop[key]
    for sub in prop.get("anyOf", []) + prop.get("prefixItems", []):
        if isinstance(sub, dict) and key in sub:
            return sub[key]
    return None


def recording_stub_source(task: str) -> str:
    """Python source defining the robot's API as functions that record their calls (numpy-only, no llmrl import).

    Run ``stub + coder_program + "\\n_llmrl_dump()"`` in a sandbox: stdout's last line is the spec as JSON,
    which :func:`validate_spec` then checks. Positional and keyword arguments both work, like L2R's API.
    """
    if task not in SPEC_MODELS:
        raise RewardSpecError(f"unknown task {task!r}; choose one of {sorted(SPEC_MODELS)}")
    out = ["import json as _json", "_llmrl_calls = []", "",
           "def _llmrl_plain(v):",
           "    if hasattr(v, 'tolist'):",
           "        return v.tolist()",
           "    if isinstance(v, (list, tuple)):",
           "        return [_llmrl_plain(x) for x in v]",
           "    return v", ""]
    for model in _call_models(task):
        fn, params = _signature(model)
        args = ", ".join(n if d is ... else f"{n}={d!r}" for n, d in params)
        record = ", ".join(f"{n!r}: _llmrl_plain({n})" for n, _ in params)
        out += [f"def {fn}({args}):", f"    _llmrl_calls.append({{'fn': {fn!r}, {record}}})" if params
                else f"    _llmrl_calls.append({{'fn': {fn!r}}})", ""]
    out += ["def _llmrl_dump():", f"    print(_json.dumps({{'task': {task!r}, 'calls': _llmrl_calls}}))", ""]
    return "\n".join(out)
