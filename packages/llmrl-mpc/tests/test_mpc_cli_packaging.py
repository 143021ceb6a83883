"""``llmrl mpc`` through the real console script and entry points; packaging promises (light import, no torch)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution

import pytest
import yaml

LLMRL = shutil.which("llmrl") or os.path.join(os.path.dirname(sys.executable), "llmrl")


def llmrl(*args: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([LLMRL, *args], capture_output=True, text=True, timeout=240, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def test_run_prints_metrics_as_json(tmp_path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"task": "manipulator", "calls": [
        {"fn": "set_joint_fraction_reward", "joint": "elbow", "fraction": 0.2}, {"fn": "execute_plan", "plan_duration": 5}]}))
    out = llmrl("mpc", "run", "--robot", "manipulator", "--spec", str(spec), "--seconds", "2.0", "--samples", "32",
                "--threads", "2", "--json", "--output", str(tmp_path / "run"))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    seg = result["segments"][0]
    assert seg["duration"] == 2.0 and "joint_fraction" in seg["terms"]
    assert seg["metrics"]["elbow_fraction"] == pytest.approx(0.2, abs=0.08)
    assert result["plans"] == 40 and result["sim_seconds"] == pytest.approx(2.0)
    # The run directory: the resolved config (PlannerConfig's defaults plus the flags), a metrics line per segment.
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["planner"]["samples"] == 32 and saved["planner"]["method"] == "mppi" and saved["seconds"] == 2.0
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["elbow_fraction"] == seg["metrics"]["elbow_fraction"]
    assert "elbow_fraction" in (tmp_path / "run" / "summary.md").read_text()


def test_run_takes_any_planner_field_with_set(tmp_path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"task": "manipulator", "calls": [
        {"fn": "set_joint_fraction_reward", "joint": "elbow", "fraction": 0.2}, {"fn": "execute_plan", "plan_duration": 5}]}))
    out = llmrl("mpc", "run", "--robot", "manipulator", "--spec", str(spec), "--seconds", "0.5", "--threads", "1",
                "--set", "planner.method=ilqg", "--set", "planner.ilqg_line_search=4", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["plans"] == 10 and result["run_dir"].startswith("runs/mpc/")  # {time}: a new directory per run
    saved = yaml.safe_load((tmp_path / result["run_dir"] / "config.yaml").read_text())
    assert saved["planner"]["method"] == "ilqg" and saved["planner"]["ilqg_line_search"] == 4


def test_bad_spec_is_a_clear_error(tmp_path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"task": "quadruped", "calls": [
        {"fn": "set_torso_targets", "target_torso_pitch": 3.0}, {"fn": "execute_plan"}]}))
    out = llmrl("mpc", "run", "--robot", "quadruped", "--spec", str(spec), cwd=tmp_path)
    assert out.returncode == 2
    assert "calls.0.set_torso_targets.target_torso_pitch" in out.stderr and "0.8" in out.stderr
    assert "Traceback" not in out.stderr


def test_video_without_offscreen_rendering_says_why(tmp_path) -> None:
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"task": "manipulator", "calls": [{"fn": "execute_plan", "plan_duration": 0.1}]}))
    out = llmrl("mpc", "run", "--robot", "manipulator", "--spec", str(spec), "--video", str(tmp_path / "v.mp4"),
                env={"MUJOCO_GL": "glfw"}, cwd=tmp_path)
    assert out.returncode == 2 and "offscreen rendering is not available" in out.stderr and "MUJOCO_GL=egl" in out.stderr
    assert not (tmp_path / "v.mp4").exists() and not (tmp_path / "runs").exists()  # stopped before anything ran


def test_schema_command() -> None:
    out = llmrl("mpc", "schema", "--robot", "quadruped")
    assert out.returncode == 0, out.stderr
    assert "set_foot_stepping_parameters" in out.stdout


def test_import_is_light() -> None:
    code = "import sys, llmrl_mpc, llmrl_mpc.plugin, llmrl_mpc.cli; print(sorted(m for m in ('mujoco', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _requirement_closure(name: str, seen: set[str]) -> set[str]:
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return seen
    seen.add(key)
    try:
        reqs = distribution(name).requires or []
    except PackageNotFoundError:
        return seen
    for req in reqs:
        if "extra ==" in req:  # optional extras are not installed by `pip install llmrl-mpc`
            continue
        _requirement_closure(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0], seen)
    return seen


def test_pip_install_llmrl_mpc_does_not_pull_torch() -> None:
    closure = _requirement_closure("llmrl-mpc", set())
    assert "mujoco" in closure and "llmrl-core" in closure
    assert not closure & {"torch", "transformers", "vllm"}, sorted(closure)


def _egl_renders() -> bool:
    probe = ("import mujoco; m = mujoco.MjModel.from_xml_string('<mujoco><worldbody><geom size=\"1\"/></worldbody></mujoco>'); "
             "r = mujoco.Renderer(m, 32, 32); r.update_scene(mujoco.MjData(m)); r.render(); import imageio, imageio_ffmpeg")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=60, env={**os.environ, "MUJOCO_GL": "egl"})
    return out.returncode == 0


def test_video_with_offscreen_rendering(tmp_path) -> None:
    if not _egl_renders():
        pytest.skip("EGL offscreen rendering (or imageio-ffmpeg) is not available on this machine")
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps({"task": "manipulator", "calls": [
        {"fn": "set_joint_fraction_reward", "joint": "base_yaw", "fraction": 0.7}, {"fn": "execute_plan", "plan_duration": 1.0}]}))
    video = tmp_path / "v.mp4"
    out = llmrl("mpc", "run", "--robot", "manipulator", "--spec", str(spec), "--video", str(video), "--samples", "16",
                "--json", env={"MUJOCO_GL": "egl"}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    import imageio_ffmpeg
    import numpy as np

    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(360, 480, 3) for f in reader]
    # 100 physics steps of 0.01 s, one frame every 3 steps (~33 fps, real time)
    assert meta["size"] == (480, 360) and len(frames) == 34 and abs(meta["fps"] - 100 / 3) < 0.1
    assert frames[0].std() > 5  # a rendered scene, not a blank image
