"""The surface an L2R translator targets: prompt text and a recording stub whose output validates.

The stub and the program run in a separate ``python -I`` process here, never in-process; the
translator will run them in a Sandbox plugin."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from llmrl_mpc.robots.spec import RewardSpecError, api_description, recording_stub_source, validate_spec

L2R_STYLE_PROGRAM = textwrap.dedent("""
    import numpy as np
    reset_reward()
    set_torso_targets(0.45, np.deg2rad(5), 0.0, None, (0.3, 0.0), None, None)
    for foot, phase in (("FL", 0.0), ("RR", 0.0), ("FR", 0.5), ("RL", 0.5)):
        set_foot_stepping_parameters(foot, 1.0, 0.4, phase, 0.08, 0.05, True)
    execute_plan(3)
""")


def run_recorded(task: str, program: str) -> str:
    code = recording_stub_source(task) + "\n" + program + "\n_llmrl_dump()\n"
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_positional_l2r_program_records_a_valid_spec() -> None:
    spec = validate_spec(run_recorded("quadruped", L2R_STYLE_PROGRAM))
    assert [c.fn for c in spec.calls] == ["reset_reward", "set_torso_targets"] + ["set_foot_stepping_parameters"] * 4 + ["execute_plan"]
    torso = spec.calls[1]
    assert torso.target_torso_pitch == pytest.approx(0.0872665, rel=1e-5) and torso.target_torso_velocity_xy == (0.3, 0.0)
    assert spec.segments()[0][1] == 3.0


def test_out_of_range_program_fails_validation_naming_the_field() -> None:
    recorded = run_recorded("manipulator", "set_obj_z_position_reward('box', 2.0)\nexecute_plan(2)")
    with pytest.raises(RewardSpecError, match=r"calls\.0\.set_obj_z_position_reward\.z"):
        validate_spec(recorded)


def test_api_description_lists_every_function_with_ranges() -> None:
    text = api_description("manipulator")
    for fn in ("set_l2_distance_reward", "set_obj_z_position_reward", "set_obj_orientation_reward",
               "set_joint_fraction_reward", "execute_plan", "reset_reward"):
        assert f"def {fn}(" in text
    assert "one of ['gripper', 'box', 'ball', 'pad']" in text and "<= 1.0" in text
    assert json.loads(json.dumps(text)) == text
