"""``llmrl mpc ...``: run a reward spec on a robot task with the receding-horizon controller (sampling planners or iLQG).

This module is imported every time the CLI starts: heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="MPC (sampling planners, iLQG) on MuJoCo robot tasks driven by reward specs.")


class TaskName(StrEnum):
    quadruped = "quadruped"
    manipulator = "manipulator"


class Method(StrEnum):
    predictive_sampling = "predictive_sampling"
    cem = "cem"
    mppi = "mppi"
    ilqg = "ilqg"


RENDER_HINT = ("offscreen rendering is not available here ({why}). Video needs MUJOCO_GL=egl (a GPU/EGL driver) or "
               "MUJOCO_GL=osmesa (apt install libosmesa6), and imageio with its ffmpeg (the video extra of llmrl-mpc): pip install imageio imageio-ffmpeg. "
               "Run again without --video to control without recording.")


def _video_writer(path: Path, task, fps: int):
    """Check offscreen rendering works before any control starts; return (on_step, close)."""
    import os

    import mujoco

    from llmrl_core.errors import ComponentUnavailableError

    if os.environ.get("MUJOCO_GL", "").lower() not in ("egl", "osmesa"):
        raise ComponentUnavailableError("--video: " + RENDER_HINT.format(
            why=f"MUJOCO_GL is {os.environ.get('MUJOCO_GL')!r}, not egl or osmesa"))
    try:
        import imageio.v2 as imageio

        renderer = mujoco.Renderer(task.model, 360, 480)
    except Exception as exc:  # noqa: BLE001 - any GL/codec failure means: no video here
        raise ComponentUnavailableError("--video: " + RENDER_HINT.format(why=f"{type(exc).__name__}: {exc}")) from None
    every = max(1, round(1.0 / (fps * task.model.opt.timestep)))  # physics steps per frame
    real_fps = 1.0 / (every * task.model.opt.timestep)  # so the video plays in real time
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


@app.command()
def run(
    task: TaskName = typer.Option(..., "--task", help="The robot task."),  # noqa: B008 - typer's idiom
    spec: Path = typer.Option(..., "--spec", help="Reward spec JSON: {\"task\": ..., \"calls\": [...]} ending with execute_plan."),  # noqa: B008 - typer's idiom
    seconds: float | None = typer.Option(None, "--seconds", min=0.01, help="Run each execute_plan segment for this long instead."),  # noqa: B008 - typer's idiom
    video: Path | None = typer.Option(None, "--video", help="Write an mp4 (needs MUJOCO_GL=egl or osmesa)."),  # noqa: B008 - typer's idiom
    method: Method | None = typer.Option(None, help="Planner (default: PlannerConfig's, mppi)."),  # noqa: B008 - typer's idiom
    samples: int | None = typer.Option(None, min=2, help="Rollouts per planning iteration (default: PlannerConfig's, 128)."),  # noqa: B008 - typer's idiom
    horizon: float | None = typer.Option(None, min=0.01, help="Planning horizon, s (default: PlannerConfig's, 0.5)."),  # noqa: B008 - typer's idiom
    noise: float | None = typer.Option(None, min=0.0001, help="Sampling std as a fraction of the half control range (default: PlannerConfig's, 0.3)."),  # noqa: B008 - typer's idiom
    plan_timestep: float | None = typer.Option(None, help="Planning-model timestep, s; the plant keeps its own (default: PlannerConfig's, 0.02)."),  # noqa: B008 - typer's idiom
    replan_every: int = typer.Option(5, min=1, help="Replan every N physics steps."),
    threads: int | None = typer.Option(None, min=1, help="Rollout threads (default: CPU count)."),  # noqa: B008 - typer's idiom
    seed: int = typer.Option(0, help="Planner seed."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Run SPEC on TASK with receding-horizon MPC (sampling or iLQG); print the metrics reached per segment."""
    from llmrl_core.cli.output import console, progress
    from llmrl_mpc.config import PlannerConfig
    from llmrl_mpc.runner import run_spec
    from llmrl_mpc.task import get_task

    the_task = get_task(task.value)
    parsed = the_task.validate_file(spec)  # a RewardSpecError names the bad fields
    given = {"method": method.value if method else None, "samples": samples, "horizon": horizon, "noise": noise,
             "timestep": plan_timestep, "nthread": threads}
    config = PlannerConfig(seed=seed, **{k: v for k, v in given.items() if v is not None})  # the model holds the defaults
    on_step, close = (None, None)
    if video is not None:
        on_step, close = _video_writer(video, the_task, fps=30)
    try:
        with progress() as bar:
            job = bar.add_task(f"mpc {task.value}", total=None, status="")

            def on_progress(done: float, total: float) -> None:
                bar.update(job, completed=round(done * 100), total=round(total * 100), status=f"{done:.1f}/{total:.1f} s sim")

            result = run_spec(the_task, parsed, config, replan_every=replan_every, seconds=seconds, seed=seed,
                              on_step=on_step, on_progress=on_progress)
    finally:
        if close is not None:
            close()
    summary = {
        "task": task.value,
        "segments": [{"duration": s.duration, "terms": s.terms, "metrics": {k: round(v, 4) for k, v in s.metrics.items()}}
                     for s in result.segments],
        "sim_seconds": round(result.sim_seconds, 3), "wall_seconds": round(result.wall_seconds, 3),
        "realtime_factor": round(result.realtime_factor, 3), "plans": result.plans,
        "ms_per_plan": round(1000 * result.plan_seconds / max(result.plans, 1), 2), "diverged_rollouts": result.diverged,
    }
    if video is not None:
        summary["video"] = str(video)
    if json_out:
        typer.echo(json.dumps(summary))
        return
    from rich.table import Table

    for i, seg in enumerate(summary["segments"]):
        table = Table(title=f"segment {i + 1}: {seg['duration']} s, terms {', '.join(seg['terms'])}")
        table.add_column("metric")
        table.add_column("reached", justify="right")
        for k, v in seg["metrics"].items():
            table.add_row(k, f"{v:.3f}")
        console.print(table)
    console.print(f"{summary['sim_seconds']} s simulated in {summary['wall_seconds']} s "
                  f"(real-time factor {summary['realtime_factor']}), {summary['plans']} plans, "
                  f"{summary['ms_per_plan']} ms per plan, {summary['diverged_rollouts']} diverged rollouts rejected"
                  + (f"; video: {video}" if video else ""))


@app.command()
def schema(task: TaskName = typer.Option(..., "--task", help="The robot task.")) -> None:  # noqa: B008 - typer's idiom
    """Print the JSON schema of TASK's reward spec (what an L2R reward coder must produce)."""
    from llmrl_mpc.task import get_task

    typer.echo(json.dumps(get_task(task.value).spec_model.model_json_schema(), indent=2))
