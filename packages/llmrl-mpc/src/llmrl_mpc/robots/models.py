"""The robots' MJCF: Gymnasium's ant (shipped in the gymnasium wheel) and a manipulator written here.

The ant is edited with ``mujoco.MjSpec`` for planning: position actuators
(so a zero-noise plan holds a posture), the implicit-fast integrator (cheaper
than RK4), named foot sites and the sensors the residuals read.
"""

from __future__ import annotations

import os
from functools import lru_cache

import mujoco
import numpy as np

FEET = ("FL", "FR", "RL", "RR")
# Gymnasium's ant: legs on the diagonals, +x is forward. Foot = far end of each ankle capsule.
_ANT_FEET = {
    "left_ankle_geom": ("FL", (0.4, 0.4, 0.0)),
    "fourth_ankle_geom": ("FR", (0.4, -0.4, 0.0)),
    "right_ankle_geom": ("RL", (-0.4, 0.4, 0.0)),
    "third_ankle_geom": ("RR", (-0.4, -0.4, 0.0)),
}
ANT_KP = 60.0


def ant_xml_path() -> str:
    import gymnasium

    path = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets", "ant.xml")
    if not os.path.exists(path):
        raise FileNotFoundError(f"gymnasium's ant.xml is missing at {path}; reinstall it: pip install --force-reinstall gymnasium")
    return path


def _add_sensor(spec: mujoco.MjSpec, name: str, kind: mujoco.mjtSensor, objtype: mujoco.mjtObj, objname: str) -> None:
    s = spec.add_sensor()
    s.name, s.type, s.objtype, s.objname = name, kind, objtype, objname


@lru_cache(maxsize=1)
def quadruped_xml() -> str:
    """The planning-ready ant as an MJCF string (cached; build a model with ``from_xml_string``)."""
    spec = mujoco.MjSpec.from_file(ant_xml_path())
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    for body in spec.bodies:
        for geom in body.geoms:
            if geom.name in _ANT_FEET:
                name, pos = _ANT_FEET[geom.name]
                body.name = f"{name}_shin"
                site = body.add_site()
                site.name, site.pos, site.size = f"{name}_foot", pos, [0.02, 0.02, 0.02]
    for act in spec.actuators:
        # Joint ranges are in degrees here (compiler angle="degree"); actuator ctrlrange is not converted.
        act.ctrlrange = np.deg2rad(spec.joint(act.target).range)
        act.set_to_position(kp=ANT_KP, kv=2.0)
        act.name = act.target
        act.gear[0] = 1.0
    body, site = mujoco.mjtObj.mjOBJ_BODY, mujoco.mjtObj.mjOBJ_SITE
    _add_sensor(spec, "torso_pos", mujoco.mjtSensor.mjSENS_FRAMEPOS, body, "torso")
    _add_sensor(spec, "torso_quat", mujoco.mjtSensor.mjSENS_FRAMEQUAT, body, "torso")
    _add_sensor(spec, "torso_linvel", mujoco.mjtSensor.mjSENS_FRAMELINVEL, body, "torso")
    _add_sensor(spec, "torso_angvel", mujoco.mjtSensor.mjSENS_FRAMEANGVEL, body, "torso")
    for foot in FEET:
        _add_sensor(spec, f"{foot}_pos", mujoco.mjtSensor.mjSENS_FRAMEPOS, site, f"{foot}_foot")
    spec.compile()
    return spec.to_xml()
