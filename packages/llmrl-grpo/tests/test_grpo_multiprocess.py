"""Several processes (torchrun, gloo, CPU): MAYE whitens over the global batch, one run directory written
by rank 0 alone, held-out evaluation once, checkpoints and --resume with two ranks; and the shipped
accelerate configs against the installed accelerate's schema."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
TESTS = Path(__file__).resolve().parent


def _torchrun(*args: str, nproc: int = 2, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc), "--master_addr", "127.0.0.1",
           "--master_port", str(port), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "400", **(env or {})})


def test_accelerate_configs_match_the_installed_accelerate() -> None:
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import launch_command_parser

    options = {action.dest for action in launch_command_parser()._actions}
    configs = {p.stem: p for p in (ROOT / "configs" / "accelerate").glob("*.yaml")}
    assert set(configs) == {"one_gpu", "ddp_8gpu", "deepspeed_zero3", "fsdp2"}
    kinds = {}
    for name, path in configs.items():
        raw = yaml.safe_load(path.read_text())
        cfg = load_config_from_file(str(path))  # accelerate's own reader: an unknown top-level key is a TypeError
        nested = {**(raw.get("deepspeed_config") or {}), **(raw.get("fsdp_config") or {})}
        assert not [k for k in nested if k not in options], f"{name}: keys accelerate launch does not know"
        kinds[name] = (cfg.distributed_type.value, cfg.num_processes)
    assert kinds == {"one_gpu": ("NO", 1), "ddp_8gpu": ("MULTI_GPU", 8), "deepspeed_zero3": ("DEEPSPEED", 8),
                     "fsdp2": ("FSDP", 8)}
    assert yaml.safe_load(configs["deepspeed_zero3"].read_text())["deepspeed_config"]["zero3_save_16bit_model"] is True
    assert yaml.safe_load(configs["fsdp2"].read_text())["fsdp_config"]["fsdp_state_dict_type"] == "FULL_STATE_DICT"


def test_ranks_share_rank_zeros_result_and_a_late_rank_zero_times_out(tmp_path) -> None:
    """gather_lists/sum_over_ranks over 2 gloo ranks; share_from_main hands rank 0's value to rank 1, and a
    rank 1 that waits longer than its timeout fails saying which setting to raise (no model loaded)."""
    done = _torchrun(str(TESTS / "share_rank.py"), env={"SHARE_OUT": str(tmp_path)}, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    for seen in ranks:
        assert seen["gathered"] == {"ids": [0, 1, 1]} and seen["sum"] == 3.0 and seen["shared"] == {"from": 0}
    assert ranks[0]["late"] == {"from": 0} and "late_error" not in ranks[0]
    assert "rank 1 waited 0.5 s for rank 0's 'late'" in ranks[1]["late_error"]
    assert "eval.wait_timeout_s" in ranks[1]["late_error"]


@pytest.mark.slow
def test_maye_whitens_over_the_global_batch_on_two_ranks_with_fake_generator(tmp_path) -> None:
    """One MAYE step of 8 responses on 2 ranks (4 each) gives every response the advantage a 1-rank run
    gives it on the same 8: whitened over the global batch's tokens, not each rank's."""
    env = {"WHITENING_OUT": str(tmp_path)}
    script = str(TESTS / "whitening_rank.py")
    two = _torchrun(script, env=env)
    assert two.returncode == 0, two.stderr[-4000:]
    one = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "OMP_NUM_THREADS": "1", **env})
    assert one.returncode == 0, one.stderr[-4000:]

    single = {i: (a, n) for i, a, n in json.loads((tmp_path / "rank0-of-1.json").read_text())}
    ranks = [json.loads((tmp_path / f"rank{r}-of-2.json").read_text()) for r in (0, 1)]
    assert [len(r) for r in ranks] == [4, 4] and len(single) == 8
    merged = {i: (a, n) for rows in ranks for i, a, n in rows}
    assert merged.keys() == single.keys()  # the same global batch
    for i, (adv, tokens) in merged.items():
        assert tokens == single[i][1] and adv == pytest.approx(single[i][0], abs=1e-5), i
    # discriminating: whitening a rank's half alone would centre it, and these halves are not centred
    weighted = [sum(a * n for _, a, n in rows) / sum(n for _, _, n in rows) for rows in ranks]
    assert max(abs(w) for w in weighted) > 0.05, weighted
    assert abs(sum(a * n for a, n in merged.values())) < 1e-4  # centred over the global batch's tokens


@pytest.mark.slow
def test_two_ranks_write_one_run_directory_evaluate_once_and_resume(tmp_path) -> None:
    """`torchrun --nproc_per_node 2 ... llmrl grpo train`: one metrics line per step, each held-out eval
    once, world_size 2 in config.yaml, one printed result; then --resume with two ranks continues it."""
    llmrl = str(Path(sys.executable).parent / "llmrl")
    out = tmp_path / "run"
    small = ["--set", "task_config={seed: 0, train_size: 8, test_size: 2}", "--completions-per-step", "4",
             "--max-completion-length", "4", "--set", "eval.pass_k=2", "--set", "eval.metrics=[pass@k, pass@1_greedy]"]
    first = _torchrun("--no-python", llmrl, "grpo", "train", "--steps", "1", "--save-steps", "1", "--output", str(out), *small)
    assert first.returncode == 0, first.stderr[-4000:]
    assert first.stdout.count("held-out evaluation on arithmetic") == 1 and first.stdout.count("run directory:") == 1
    resumed = _torchrun("--no-python", llmrl, "grpo", "train", "--resume", "--steps", "2", "--output", str(out))
    assert resumed.returncode == 0, resumed.stderr[-4000:]

    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["run_info"]["world_size"] == 2 and config["steps"] == 2
    assert config["generation"]["completions_per_step"] == 4  # the batch of both ranks together
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2]
    assert all(len(m["batch_ids"]) == 4 for m in metrics)  # both ranks' responses, gathered
    evals = [json.loads(line) for line in (out / "eval.jsonl").read_text().splitlines()]
    assert [(e["stage"], e["step"]) for e in evals] == [("before", 0), ("after", 1), ("after", 2)]
    assert (out / "checkpoints" / "checkpoint-2").is_dir() and (out / "final" / "config.json").is_file()
    assert (out / "summary.md").is_file() and (out / "curves.png").is_file()
    assert not list(out.rglob("*.tmp"))
