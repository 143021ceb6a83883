"""``llmrl mpc ...``: run a reward spec on a robot with the receding-horizon controller (sampling planners or iLQG).

This module is imported every time the CLI starts: heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_mpc.config import MPCRunConfig
from llmrl_mpc.robots import ROBOTS

app = typer.Typer(no_args_is_help=True, add_completion=False, help="MPC (sampling planners, iLQG) on MuJoCo robots driven by reward specs.")


RobotName = StrEnum("RobotName", {name: name for name in ROBOTS})


RENDER_HINT = ("offscreen rendering is not available here ({why}). Video needs MUJOCO_GL=egl (a GPU/EGL driver) or "
               "MUJOCO_GL=osmesa (apt install libosmesa6), and imageio with its ffmpeg (the video extra of llmrl-mpc): pip install imageio imageio-ffmpeg. "
               "Run again without --video to control without recording.")


def _video_writer(path: Path, robot, fps: int):
    """Check offscreen rendering works before any control starts; return (on_step, close)."""
    import os

    import mujoco

    from llmrl_core.errors import ComponentUnavailableError

    if os.environ.get("MUJOCO_GL", "").lower() not in ("egl", "osmesa"):
        raise ComponentUnavailableError("--video: " + RENDER_HINT.format(
            why=f"MUJOCO_GL is {os.environ.get('MUJOCO_GL')!r}, not egl or osmesa"))
    try:
        import imageio.v2 as imageio

        renderer = mujoco.Renderer(robot.model, 360, 480)
    except Exception as exc:  # noqa: BLE001 - any GL/codec failure means: no video here
        raise ComponentUnavailableError("--video: " + RENDER_HINT.format(why=f"{type(exc).__name__}: {exc}")) from None
    every = max(1, round(1.0 / (fps * robot.model.opt.timestep)))  # physics steps per frame
    real_fps = 1.0 / (every * robot.model.opt.timestep)  # so the video plays in real time
    writer = imageio.get_writer(str(path), fps=real_fps, macro_block_size=8)  # 480x360: no resizing
    count = [0]

    def on_step(data) -> None:
        if count[0] % every == 0:
            renderer.update_scene(data)
            writer.append_data(renderer.render())
        count[0] += 1

    def close() -> None:
        writer.close()
        renderer.close()

    return on_step, close


PLANNER_FLAGS = {"method": "planner.method", "samples": "planner.samples", "horizon": "planner.horizon",
                 "noise": "planner.noise", "plan-timestep": "planner.timestep", "threads": "planner.nthread",
                 "seed": "planner.seed"}


def progress_adapter(report, every: float = 0.5):
    """``run_spec``'s ``on_progress(done_s, total_s)`` as reporter ``progress`` events, every ``every`` simulated s."""
    last = [-every]

    def on_progress(done: float, total: float) -> None:
        if done - last[0] >= every or done >= total:
            last[0] = done
            report("progress", done=round(done, 2), total=round(total, 2), note=f"{done:.1f}/{total:.1f} s simulated")

    return on_progress


def print_segments(console, summary: dict, title: str = "segment {n}: {duration} s, terms {terms}") -> None:
    """One table per segment: the metrics reached."""
    from rich.table import Table

    for i, seg in enumerate(summary["segments"]):
        table = Table(title=title.format(n=i + 1, duration=seg["duration"], terms=", ".join(seg["terms"])))
        table.add_column("metric")
        table.add_column("reached", justify="right")
        for k, v in seg["metrics"].items():
            table.add_row(k, f"{v:.3f}")
        console.print(table)


@run_command(app, "run", MPCRunConfig, aliases=PLANNER_FLAGS)
def run(
    cfg: MPCRunConfig,
    ctx: RunContext,
    video: Path | None = typer.Option(None, "--video", help="Write an mp4 (needs MUJOCO_GL=egl or osmesa)."),  # noqa: B008 - typer's idiom
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Run SPEC on ROBOT with receding-horizon MPC (sampling or iLQG); print the metrics reached per segment."""
    from llmrl_core.cli.output import console
    from llmrl_core.runs import prepare_run
    from llmrl_mpc.robots import make_robot
    from llmrl_mpc.runner import run_spec, write_run

    robot = make_robot(cfg.robot)
    parsed = robot.validate_file(cfg.spec)  # a RewardSpecError names the bad fields
    cfg, _ = prepare_run(cfg, ctx.run, resume=False)
    on_step, close = (None, None)
    if video is not None:
        on_step, close = _video_writer(video, robot, fps=30)
    ctx.run.write_config(cfg)
    try:
        with ctx.progress() as report:
            result = run_spec(robot, parsed, cfg.planner, replan_every=cfg.replan_every, seconds=cfg.seconds,
                              seed=cfg.planner.seed, on_step=on_step, on_progress=progress_adapter(report))
    finally:
        if close is not None:
            close()
    write_run(ctx.run, result, header=f"# llmrl mpc run: {cfg.spec} on {cfg.robot} ({cfg.planner.method})")
    summary = {"robot": cfg.robot, **result.summary(), "run_dir": str(ctx.run.root)}
    if video is not None:
        summary["video"] = str(video)
    if json_out:
        typer.echo(json.dumps(summary))
        return
    print_segments(console, summary)
    console.print(f"{summary['sim_seconds']} s simulated in {summary['wall_seconds']} s "
                  f"(real-time factor {summary['realtime_factor']}), {summary['plans']} plans, "
                  f"{summary['ms_per_plan']} ms per plan, {summary['diverged_rollouts']} diverged rollouts rejected"
                  + (f"; video: {video}" if video else "") + f"; run directory: {ctx.run.root}", highlight=False)


@app.command()
def schema(robot: RobotName = typer.Option(..., "--robot", help="The robot.")) -> None:  # noqa: B008 - typer's idiom
    """Print the JSON schema of the robot's reward spec (what an L2R reward coder must produce)."""
    from llmrl_mpc.robots import make_robot

    typer.echo(json.dumps(make_robot(robot.value).spec_model.model_json_schema(), indent=2))
