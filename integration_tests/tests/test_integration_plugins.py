"""Plugins found through real entry points of separately installed distributions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def llmrl(*args: str, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("LLMRL_DISABLE_PLUGIN_AUTOLOAD", None)
    env.pop("LLMRL_PLUGINS", None)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "llmrl_core.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def install_distribution(site: Path, dist: str, module: str, source: str) -> None:
    """Install a one-module distribution the way an installer lays it out: module + dist-info."""
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[llmrl]\n{dist} = {module}\n")
    (info / "RECORD").write_text("")


def test_example_plugin_is_listed_and_usable_through_the_registry():
    from llmrl_core import get_sandbox, list_components, make_env

    envs = {c.name: c for c in list_components("environment")}
    assert envs["llmrl-example/Corridor-v0"].distribution == "llmrl-example-plugin"
    env = make_env("llmrl-example/Corridor-v0")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (1,)
    with get_sandbox("example-subprocess") as sandbox:
        assert sandbox.run("print('from the example plugin')").stdout == "from the example plugin\n"


def test_cuda_backend_distribution_is_found_and_default_backend_works():
    from llmrl_core import get_backend, list_components

    backends = {c.name: c.distribution for c in list_components("backend")}
    assert (backends["cpu"], backends["cuda"]) == ("llmrl-core", "llmrl-backend-cuda")
    assert get_backend().is_available()


def test_a_plugin_whose_import_raises_is_listed_with_its_error_and_the_rest_work(tmp_path):
    install_distribution(tmp_path, "llmrl-broken-plugin", "llmrl_broken_plugin", """
        raise ImportError("llmrl_broken_plugin needs libfoo, which is not installed")
    """)
    out = llmrl("plugins", "--json", extra_path=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    [failed] = [f for f in report["failed"] if f["distribution"] == "llmrl-broken-plugin"]
    assert "needs libfoo" in failed["error"]
    names = {c["name"] for kind in report["components"].values() for c in kind}
    assert {"cpu", "cuda", "llmrl-example/Corridor-v0", "example-subprocess"} <= names


def test_a_separately_installed_backend_plugin_is_usable(tmp_path):
    install_distribution(tmp_path, "llmrl-backend-fancy", "llmrl_backend_fancy", """
        from llmrl_core import Backend, BackendSpec, hookimpl

        class FancyBackend(Backend):
            name = "fancy"
            priority = 1000
            def is_available(self):
                return True
            @property
            def device(self):
                import torch
                return torch.device("cpu")
            @property
            def default_dtype(self):
                import torch
                return torch.float64

        @hookimpl
        def llmrl_backends():
            yield BackendSpec(name="fancy", factory="llmrl_backend_fancy:FancyBackend", priority=1000,
                              description="a test backend")
    """)
    code = "from llmrl_core import get_backend; b = get_backend(); print(b.name, b.default_dtype)"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.split() == ["fancy", "torch.float64"], out.stderr
    listed = json.loads(llmrl("plugins", "--json", extra_path=tmp_path).stdout)["components"]["backend"]
    assert {"name": "fancy", "distribution": "llmrl-backend-fancy"}.items() <= next(
        b for b in listed if b["name"] == "fancy").items()


def test_duplicate_names_across_distributions_are_reported(tmp_path):
    install_distribution(tmp_path, "llmrl-corridor-clone", "llmrl_corridor_clone", """
        from llmrl_core import EnvironmentSpec, hookimpl

        @hookimpl
        def llmrl_environments():
            yield EnvironmentSpec(id="llmrl-example/Corridor-v0", entry_point="x:y")
    """)
    report = json.loads(llmrl("plugins", "--json", extra_path=tmp_path).stdout)
    [dup] = report["duplicates"]
    assert set(dup["distributions"]) == {"llmrl-example-plugin", "llmrl-corridor-clone"}


@pytest.mark.parametrize("var,value", [("LLMRL_DISABLE_PLUGIN_AUTOLOAD", "1")])
def test_autoload_can_be_disabled_from_the_environment(var, value):
    env = {**os.environ, var: value}
    env.pop("LLMRL_PLUGINS", None)
    out = subprocess.run([sys.executable, "-m", "llmrl_core.cli", "plugins", "--json"], capture_output=True,
                         text=True, env=env, timeout=60)
    dists = {c["distribution"] for kind in json.loads(out.stdout)["components"].values() for c in kind}
    assert dists == {"llmrl-core"}
