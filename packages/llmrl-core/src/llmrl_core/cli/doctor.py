"""``llmrl doctor``: what this machine can run, and the fix for each missing part."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict
from importlib import metadata, util

import typer
from rich.table import Table

from llmrl_core.cli.output import console
from llmrl_core.specs import DoctorCheck, import_object

Check = DoctorCheck


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
                 "" if ok else "llmrl needs Python >= 3.11: uv python install 3.11", required=True)


def check_torch() -> list[Check]:
    if util.find_spec("torch") is None:
        return [Check("torch", False, "not installed", "pip install torch (or: uv sync)")]
    import torch

    checks = [Check("torch", True, f"{torch.__version__} (built with CUDA {torch.version.cuda or 'none'})")]
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        checks.append(Check("cuda", True, f"{torch.cuda.device_count()} device(s): {names}"))
    else:
        fix = "a GPU machine with the NVIDIA driver; CPU runs work without it" if torch.version.cuda else \
            "install a CUDA build of torch: pip install torch (Linux wheels on PyPI include CUDA)"
        checks.append(Check("cuda", False, "no CUDA device visible", fix))
    return checks


def check_backends() -> Check:
    from llmrl_core.registry import list_components

    parts, best = [], None
    for comp in sorted(list_components("backend"), key=lambda c: -getattr(c.spec, "priority", 0)):
        try:
            available = comp.spec.load()().is_available()
        except Exception as exc:  # noqa: BLE001 - report, never crash the doctor
            parts.append(f"{comp.name}: error ({exc})")
            continue
        parts.append(f"{comp.name}: {'available' if available else 'not available'}")
        best = best or (comp.name if available else None)
    return Check("backends", best is not None, f"{'; '.join(parts)} -> default {best}",
                 "" if best else "reinstall llmrl-core (its cpu backend is always available)", required=True)


def check_components() -> list[Check]:
    """The checks each installed component declares (``doctor=`` on its spec), e.g. the local sandbox's bubblewrap."""
    from llmrl_core.registry import list_components

    checks: list[Check] = []
    for comp in list_components():
        where = getattr(comp.spec, "doctor", None)
        if where is None:
            continue
        try:
            checks.extend(import_object(where)())
        except Exception as exc:  # noqa: BLE001 - report, never crash the doctor
            checks.append(Check(f"{comp.kind} {comp.name}", False, f"its doctor check failed: {exc}",
                                f"reinstall {comp.distribution}: pip install --force-reinstall {comp.distribution}"))
    return checks


def check_mujoco() -> Check:
    version = _version("mujoco")
    if version is None:
        return Check("mujoco", False, "not installed", "pip install llmrl-mpc (or: pip install mujoco)")
    try:
        import mujoco

        model = mujoco.MjModel.from_xml_string("<mujoco><worldbody><body><freejoint/><geom size='.1'/></body></worldbody></mujoco>")
        data = mujoco.MjData(model)
        mujoco.mj_step(model, data)
    except Exception as exc:  # noqa: BLE001
        return Check("mujoco", False, f"{version} installed but a simulation step failed: {exc}",
                     "pip install --force-reinstall mujoco")
    return Check("mujoco", True, f"{version}: a simulation step ran")


def check_plugins() -> Check:
    from llmrl_core.plugins import get_plugin_manager

    pm = get_plugin_manager()
    n = len(pm.components())
    problems = [f"{f.distribution}: {f.error}" for f in pm.failures] + [str(d) for d in pm.duplicates()]
    return Check("plugins", not problems, f"{n} components" + (f"; problems: {'; '.join(problems)}" if problems else ""),
                 "see `llmrl plugins` for details; reinstall or uninstall the failing distribution" if problems else "")


def run_checks() -> list[Check]:
    return [check_python(), *check_torch(), check_backends(), *check_components(), check_mujoco(), check_plugins()]


def doctor(as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON.")) -> None:
    """Check Python, torch and CUDA, the backends, what each component needs (the local sandbox: which bubblewrap,
    and that it can create namespaces), MuJoCo, and the plugins."""
    checks = run_checks()
    if as_json:
        typer.echo(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        table = Table(show_edge=False)
        for column in ("check", "", "detail", "fix"):
            table.add_column(column, overflow="fold")
        for c in checks:
            mark = "[green]ok[/]" if c.ok else ("[red]missing[/]" if c.required else "[yellow]missing[/]")
            table.add_row(c.name, mark, c.detail, c.fix)
        console.print(table)
    if any(c.required and not c.ok for c in checks):
        raise typer.Exit(1)
