"""``llmrl l2r`` through the real console script, the real openai provider over HTTP, the real ``local`` sandbox
and the real controller. The model behind the endpoint is a TEST DOUBLE: a scripted OpenAI-compatible server on
127.0.0.1 (started here) stands in for a strong cloud model, which cannot run on this machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("llmrl_rewardgen.l2r", reason="llmrl l2r needs llmrl-mpc[l2r] (llmrl-rewardgen)")
LLMRL = shutil.which("llmrl") or os.path.join(os.path.dirname(sys.executable), "llmrl")

DESCRIPTION = """[start of description]
* This is a new task.
* The gripper should be close to nothing.
* The joint base_yaw should be at 0.75 of its range.
* The motion should last 3 seconds.
[end of description]"""


def fenced(code: str) -> str:
    return f"```python\n{code}\n```"


class ScriptedTestDoubleEndpoint:
    """TEST DOUBLE for a strong model: an OpenAI-compatible chat endpoint replying from a script, recording requests."""

    def __init__(self, replies: list[str]):
        self.replies, self.requests = list(replies), []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append(body)
                text = endpoint.replies.pop(0) if endpoint.replies else "out of script"
                data = json.dumps({"model": body["model"], "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def l2r(endpoint, tmp_path, *args):
    return subprocess.run([LLMRL, "l2r", *args, "--robot", "manipulator", "--provider", "openai", "--base-url", endpoint.url,
                           "--model", "scripted-test-double", "--threads", "2"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,  # MUJOCO_LOG.TXT lands in tmp_path
                          env={**os.environ, "COLUMNS": "200"})


def test_l2r_cli_with_a_scripted_test_double_endpoint_repairs_then_runs(tmp_path):
    endpoint = ScriptedTestDoubleEndpoint([
        DESCRIPTION,
        fenced("set_joint_fraction_reward('base_yaw', 75)\nexecute_plan(3)"),  # a percentage: out of range
        fenced("set_joint_fraction_reward(joint='base_yaw', fraction=0.75)\nexecute_plan(3)"),
    ])
    try:
        out = l2r(endpoint, tmp_path, "Turn the arm's base to 75% of its range.", "--seconds", "2", "--samples", "32")
    finally:
        endpoint.close()
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for must in ("motion description", "joint base_yaw should be at 0.75", "reward code after 1 repair(s)",
                 "round 1 rejected", "calls.0.set_joint_fraction_reward.fraction", "reward spec (validated)",
                 '"fraction": 0.75', "metrics reached, segment 1", "base_yaw_fraction"):
        assert must in text, must
    reached = float(text.split("base_yaw_fraction")[1].split()[1].strip("│ "))
    assert reached == pytest.approx(0.75, abs=0.1)
    # The run directory (the run kit's layout): config, a metrics line per segment, the turns in summary.md.
    (run_dir,) = (tmp_path / "runs" / "l2r").iterdir()
    assert json.loads((run_dir / "metrics.jsonl").read_text())["base_yaw_fraction"] == pytest.approx(reached, abs=1e-3)
    summary = (run_dir / "summary.md").read_text()
    assert "set_joint_fraction_reward(joint='base_yaw', fraction=0.75)" in summary and "joint base_yaw should be" in summary
    assert "provider: openai" in (run_dir / "config.yaml").read_text()
    # the descriptor got the template, the coder the API; the repair request carried the validation error
    msgs = [r["messages"] for r in endpoint.requests]
    assert len(msgs) == 3 and "{CHOICE:" in msgs[0][0]["content"] and "def set_joint_fraction_reward(" in msgs[1][0]["content"]
    assert "less than or equal to 1" in msgs[2][-1]["content"]
    assert all(r["temperature"] == 0.3 for r in endpoint.requests)


def test_l2r_cli_fails_clearly_without_starting_the_controller(tmp_path):
    endpoint = ScriptedTestDoubleEndpoint([DESCRIPTION, fenced("grab_the_box()\nexecute_plan(3)"),
                                           fenced("set_joint_fraction_reward('knee', 0.5)\nexecute_plan(3)")])
    try:
        out = l2r(endpoint, tmp_path, "Turn the arm's base to 75% of its range.", "--repair-budget", "1")
    finally:
        endpoint.close()
    assert out.returncode == 2
    assert "could not satisfy" in out.stderr and "no controller was started" in out.stderr
    assert "calls.0.set_joint_fraction_reward.joint" in out.stderr  # the last error, naming the field
    assert "Traceback" not in out.stderr and "metrics reached" not in out.stdout
    assert not list((tmp_path / "runs").rglob("metrics.jsonl"))


def test_l2r_command_imports_light_and_the_extra_pulls_rewardgen():
    from importlib.metadata import distribution

    code = ("import sys, llmrl_mpc.plugin, llmrl_mpc.l2r_cli; "
            "print(sorted(m for m in ('mujoco', 'torch', 'transformers', 'llmrl_rewardgen') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    requires = [r.replace(" ", "") for r in distribution("llmrl-mpc").requires or []]
    assert any(r.startswith("llmrl-rewardgen") and "extra=='l2r'" in r.replace('"', "'") for r in requires), requires
    rewardgen = [r for r in distribution("llmrl-rewardgen").requires or [] if "extra ==" not in r]
    assert not [r for r in rewardgen if r.split(">")[0].split("=")[0].strip() in ("torch", "transformers")], rewardgen
