"""L2R benchmark, figure (4): the mpc instruction suite through the translator, against the expert specs.

Each instruction of the suite (benchmarks/mpc_suite.json, the tuning set; `--sets heldout` takes the
instructions written after tuning froze) goes through the L2R translator (Motion Descriptor ->
Reward Coder -> the coder's program run in the `local` sandbox against the robot's recording stub ->
validation -> repair rounds) with the chosen provider; every spec that validates is run by the same
controller as figure (3) and scored with the suite's checks. In the same run the expert-written specs
are run on the same instructions and seeds as the reference:

  l2r_vs_expert = (share of instructions whose translated spec meets every check)
                  / (share of the expert specs that do), same instructions, seeds and controller.

Also reported: the share of instructions that produced a valid spec at all, where the others failed
(descriptor slots / coder budget), and the coder rounds used. The translator runs with the Reward Coder's
grammar-constrained decoding on and off (``--grammar both``, the default when the provider can constrain its
decoding): per mode, the stage counts (descriptor parsed, program parsed, validated, task succeeded) and
``program_valid_rate_grammar`` / ``program_valid_rate_free``, the share of Reward Coder replies that parse and
validate.

The scoring runs (expert and translated specs under the controller) fan out with
llmrl_core.parallel.parallel_map (--executor local|ray|auto, --jobs at once); translation stays in this
process. The translations of all instructions run concurrently in threads, and a batching wrapper merges their
simultaneous LLM calls into one batched `generate` (the embedded model on CPU is dominated by per-token
overhead, so a batch of 19 costs about as much as one); sandbox runs are serialised.

Usage:
  python benchmarks/l2r.py [--quick]                                    # embedded SmolLM2-135M on CPU
  python benchmarks/l2r.py --provider openai --base-url URL --model M   # a strong model (see docs/benchmarks/mpc.md)
The last line printed is one JSON object of headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from mpc import SUITES, load_suite, suite_job  # noqa: E402 - the suite and its scored controller run, shared with figure (3)

from llmrl_core import LLMProvider, get_provider, get_sandbox  # noqa: E402
from llmrl_core.parallel import EXECUTOR_DESCRIPTION, EXECUTORS, parallel_map, resolve_executor  # noqa: E402
from llmrl_mpc.robots import make_robot  # noqa: E402
from llmrl_rewardgen.codegen import CodegenConfig  # noqa: E402
from llmrl_rewardgen.l2r import L2RConfig, L2RTranslator, TranslationError  # noqa: E402

QUICK_IDS = ["q_low", "m_base_yaw"]


class BatchingProvider(LLMProvider):
    """Merges concurrent ``generate`` calls of worker threads into one batched call of the wrapped provider.

    The thread that finds every still-running worker waiting runs the batch (calls with equal
    sampling parameters go together); the others sleep until their result is in.
    """

    name = "batching"

    def __init__(self, inner: LLMProvider, workers: int):
        self.inner, self.active, self.busy = inner, workers, False
        self.supports_grammar = inner.supports_grammar  # a capability of the wrapped provider
        self.pending: list[dict] = []
        self.cond = threading.Condition()
        self.batches: list[int] = []

    def worker_done(self) -> None:
        with self.cond:
            self.active -= 1
            self.cond.notify_all()

    def generate(self, prompts, params=None):
        slot = {"prompts": list(prompts), "params": params, "result": None, "error": None}
        with self.cond:
            self.pending.append(slot)
            self.cond.notify_all()
            while slot["result"] is None and slot["error"] is None:
                if not self.busy and len(self.pending) >= self.active:
                    self.busy, batch, self.pending = True, self.pending, []
                    self.cond.release()
                    try:
                        self._run(batch)
                    finally:
                        self.cond.acquire()
                        self.busy = False
                        self.cond.notify_all()
                else:
                    self.cond.wait(timeout=1.0)
        if slot["error"] is not None:
            raise slot["error"]
        return slot["result"]

    def _run(self, batch: list[dict]) -> None:
        groups: dict[str, list[dict]] = {}
        for slot in batch:
            groups.setdefault(repr(slot["params"]), []).append(slot)
        for slots in groups.values():
            prompts = [p for s in slots for p in s["prompts"]]
            self.batches.append(len(prompts))
            try:
                gens = self.inner.generate(prompts, slots[0]["params"])
            except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
                for s in slots:
                    s["error"] = exc
                continue
            i = 0
            for s in slots:
                s["result"], i = gens[i:i + len(s["prompts"])], i + len(s["prompts"])


class LockedSandbox:
    """One sandbox run at a time from many threads."""

    def __init__(self, sandbox):
        self.sandbox, self.lock = sandbox, threading.Lock()

    def run(self, *args, **kwargs):
        with self.lock:
            return self.sandbox.run(*args, **kwargs)


def coder_rounds(turn) -> list[dict]:
    """Per Reward Coder reply: did it parse (code, valid Python), did it validate (an accepted spec)?"""
    return [{"parsed": r.parsed, "valid": r.ok} for r in (turn.transcript.rounds if turn.transcript else [])]


def stage_counts(translated: list[dict], rows: list[dict], coder_only: bool) -> dict:
    """Instructions that got past each stage, and the share of Reward Coder replies that parse and validate."""
    replies = [r for t in translated for r in t["rounds"]]
    return {
        "descriptor_parsed": None if coder_only else sum(t["stage"] != "descriptor" and t["stage"] != "error" for t in translated),
        "program_parsed": sum(any(r["parsed"] for r in t["rounds"]) for t in translated),
        "validated": sum(t["ok"] for t in translated),
        "task_succeeded": sum(r["l2r_ok"] for r in rows), "runs": len(rows), "instructions": len(translated),
        "coder_replies": len(replies),
        "program_valid_rate": round(sum(r["valid"] for r in replies) / len(replies), 3) if replies else None,
        "program_parse_rate": round(sum(r["parsed"] for r in replies) / len(replies), 3) if replies else None,
    }


def translate_all(entries, tasks, llm, sandbox, config: L2RConfig) -> list[dict]:
    batching = BatchingProvider(llm, len(entries))
    box = LockedSandbox(sandbox)

    def one(e: dict) -> dict:
        t = time.perf_counter()
        try:
            turn = L2RTranslator(tasks[e["task"]], batching, box, config).translate(e["instruction"])
            out = {"ok": True, "stage": None, "spec": turn.spec_json, "code": turn.code, "description": turn.description,
                   "descriptor_replies": turn.descriptor_replies, "transcript": turn.transcript.to_dict(),
                   "descriptor_tries": len(turn.descriptor_replies), "coder_rounds": turn.coder_rounds,
                   "errors": turn.transcript.errors(), "rounds": coder_rounds(turn)}
        except TranslationError as exc:
            turn = exc.turn
            out = {"ok": False, "stage": exc.stage, "last_error": exc.last_error, "descriptor_tries": len(turn.descriptor_replies),
                   "description": turn.description, "descriptor_replies": turn.descriptor_replies,
                   "transcript": turn.transcript.to_dict() if turn.transcript else None,
                   "coder_rounds": turn.coder_rounds, "errors": turn.transcript.errors() if turn.transcript else [],
                   "rounds": coder_rounds(turn), "last_reply": (turn.transcript.rounds[-1].response if turn.transcript and turn.transcript.rounds
                                  else (turn.descriptor_replies or [""])[-1])[:600]}
        except Exception as exc:  # noqa: BLE001 - e.g. the sandbox failing: recorded, the other instructions go on
            out = {"ok": False, "stage": "error", "last_error": f"{type(exc).__name__}: {exc}", "descriptor_tries": 0,
                   "coder_rounds": 0, "errors": [], "rounds": []}
        finally:
            batching.worker_done()
        out["translate_s"] = round(time.perf_counter() - t, 1)
        print(f"    translated {e['id']}: {'valid spec' if out['ok'] else 'failed at ' + str(out['stage'])} "
              f"(descriptor tries {out['descriptor_tries']}, coder rounds {out['coder_rounds']}, {out['translate_s']} s)", flush=True)
        return out

    with ThreadPoolExecutor(max_workers=len(entries)) as pool:
        results = list(pool.map(one, entries))
    print(f"    LLM batches (prompts per batched call): {batching.batches}", flush=True)
    return results


def score_all(entries: list[dict], translations: dict[str, list[dict]], args) -> dict[tuple, dict]:
    """Every controller run to score, fanned out by ``parallel_map`` (translation stays here: the provider batches):
    each expert spec once per seed, each valid translated spec per mode and seed. Keyed (mode or "expert", id, seed)."""
    def job(e: dict, spec: dict, seed: int) -> dict:
        return {**e, "spec": spec, "planner": "mppi", "seed": seed, "threads": args.threads,
                "replan_every": args.replan_every}

    keys, jobs = [], []
    for e in entries:
        for seed in range(args.seeds):
            keys.append(("expert", e["id"], seed))
            jobs.append(job(e, e["spec"], seed))
    for mode, trs in translations.items():
        for e, tr in zip(entries, trs, strict=True):
            for seed in range(args.seeds if tr["ok"] else 0):
                keys.append((mode, e["id"], seed))
                jobs.append(job(e, tr["spec"], seed))
    workers = args.jobs or max(1, (os.cpu_count() or 1) // args.threads)
    print(f"(4b) scoring {len(jobs)} controller runs: executor {resolve_executor(args.executor)}, {workers} at once", flush=True)
    return dict(zip(keys, parallel_map(suite_job, jobs, backend=args.executor, max_workers=workers), strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help=f"Only {QUICK_IDS}, coder-only, no repairs, 256 tokens, a grammar of 2 calls in 1 segment.")
    ap.add_argument("--provider", default="transformers", help="transformers (embedded SmolLM2-135M) | openai | vllm")
    ap.add_argument("--model", default=None, help="Model name for the provider.")
    ap.add_argument("--base-url", default=None, help="openai provider: endpoint ending in /v1.")
    ap.add_argument("--coder-only", action="store_true", help="Skip the Motion Descriptor (L2R's ablation).")
    ap.add_argument("--descriptor-retries", type=int, default=1)
    ap.add_argument("--repair-budget", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=1536,
                    help="Token budget of each reply (the longest quadruped program the coder grammar admits is ~1470 tokens).")
    ap.add_argument("--grammar", choices=["both", "on", "off", "auto"], default="auto",
                    help="Reward Coder grammar-constrained decoding: both = on and off side by side; auto = both when "
                         "the provider can constrain its decoding, else off.")
    ap.add_argument("--grammar-max-calls", type=int, default=9, help="With the grammar: most reward calls per segment.")
    ap.add_argument("--grammar-max-segments", type=int, default=2, help="With the grammar: most execute_plan segments.")
    ap.add_argument("--only", nargs="*", help="Suite entries to run (ids from the suite files).")
    ap.add_argument("--sets", nargs="+", choices=sorted(SUITES), default=["tuning"],
                    help="Instruction sets: tuning (mpc_suite.json) and/or heldout (mpc_suite_heldout.json, written after tuning froze).")
    ap.add_argument("--seeds", type=int, default=1, help="Planner seeds per instruction (one translation each).")
    ap.add_argument("--llm-seed", type=int, default=0, help="Sampling seed of both stages (vary it for several translations).")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--replan-every", type=int, default=5)
    ap.add_argument("--executor", choices=EXECUTORS, default="auto", help=EXECUTOR_DESCRIPTION)
    ap.add_argument("--jobs", type=int, default=None, help="Controller runs at once (default: CPU count // --threads, at least 1).")
    ap.add_argument("--out", type=Path, default=None, help="Write every row (code, errors, specs) as JSON here.")
    args = ap.parse_args()
    if args.quick:
        # the longest quadruped program of a 2-call, 1-segment grammar is ~185 tokens: it fits the 256-token budget
        args.coder_only, args.repair_budget, args.max_tokens = True, 0, 256
        args.grammar_max_calls, args.grammar_max_segments = 2, 1
    entries = load_suite(args.sets, args.only or (QUICK_IDS if args.quick else None))
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average {load[0]:.1f}; "
          f"provider {args.provider} model {args.model or 'default'}; {len(entries)} instructions", flush=True)
    tasks = {name: make_robot(name) for name in sorted({e["task"] for e in entries})}
    options = {k: v for k, v in {"model": args.model, "base_url": args.base_url}.items() if v is not None}
    t0 = time.perf_counter()
    with get_provider(args.provider, **options) as llm, get_sandbox("local") as sandbox:
        modes = {"both": ["grammar", "free"], "on": ["grammar"], "off": ["free"],
                 "auto": ["grammar", "free"] if llm.supports_grammar else ["free"]}[args.grammar]
        translations = {}
        for mode in modes:
            config = L2RConfig(use_descriptor=not args.coder_only, descriptor_retries=args.descriptor_retries,
                               descriptor_max_tokens=args.max_tokens, seed=args.llm_seed,
                               grammar="on" if mode == "grammar" else "off", grammar_max_calls=args.grammar_max_calls,
                               grammar_max_segments=args.grammar_max_segments,
                               coder=CodegenConfig(repair_budget=args.repair_budget, temperature=0.3,
                                                   max_tokens=args.max_tokens, seed=args.llm_seed, timeout_s=20.0,
                                                   memory_mb=512))
            print(f"(4a) translating with the Reward Coder's grammar {'on' if mode == 'grammar' else 'off'}", flush=True)
            translations[mode] = translate_all(entries, tasks, llm, sandbox, config)
    translate_s = time.perf_counter() - t0
    translated = translations[modes[0]]  # the headline mode: grammar on when the provider can
    for mode, trs in translations.items():
        print(f"(4a) translation, {mode}: {sum(t['ok'] for t in trs)}/{len(entries)} valid specs", flush=True)
    scored = score_all(entries, translations, args)
    rows_by_mode: dict = {}
    for mode, trs in translations.items():
        rows_by_mode[mode] = mode_rows = []
        for e, tr in zip(entries, trs, strict=True):
            for seed in range(args.seeds):
                ref = scored["expert", e["id"], seed]
                ref_ok, ref = ref["ok"], ref["reached"]
                l2r_ok, reached = (False, None)
                if tr["ok"]:
                    run = scored[mode, e["id"], seed]
                    l2r_ok, reached = run["ok"], run["reached"]
                mode_rows.append({"id": e["id"], "set": e["set"], "task": e["task"], "seed": seed, "mode": mode, "expert_ok": ref_ok,
                                  "expert_reached": ref, "l2r_ok": l2r_ok, "l2r_reached": reached,
                                  **{k: v for k, v in tr.items()}})
                why = "OK " if l2r_ok else ("MISS" if tr["ok"] else f"FAIL at {tr['stage']}")
                print(f"  [{mode}] {e['id']:<16} seed {seed} l2r {why} {reached or ''} | expert "
                      f"{'OK' if ref_ok else 'MISS'} {ref} | descriptor tries {tr['descriptor_tries']}, coder rounds "
                      f"{tr['coder_rounds']}", flush=True)
                for i, err in enumerate(tr["errors"]):
                    print(f"      round {i + 1} rejected: {err.splitlines()[0][:160] if err else ''}", flush=True)
    rows = rows_by_mode[modes[0]]
    stages = {mode: stage_counts(translations[mode], rows_by_mode[mode], args.coder_only) for mode in modes}
    n = len(rows)

    def share(key, task=None, subset=None):
        sel = [r for r in rows if (task is None or r["task"] == task) and (subset is None or r["set"] == subset)]
        return round(sum(r[key] for r in sel) / max(1, len(sel)), 3)

    l2r_share, expert_share = share("l2r_ok"), share("expert_ok")
    per_task = {t: {"l2r": share("l2r_ok", t), "expert": share("expert_ok", t)} for t in sorted(tasks)}
    per_set = {name: {"l2r": share("l2r_ok", subset=name), "expert": share("expert_ok", subset=name)} for name in args.sets}
    failed_at = {s: sum(1 for t in translated if t["stage"] == s) for s in ("descriptor", "coder", "error")}
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                        "rows": [r for mode in modes for r in rows_by_mode[mode]]}, indent=1))
    print(f"(4) translated specs within tolerance: {l2r_share} vs expert specs {expert_share} ({n} runs)", flush=True)
    print(json.dumps({
        "l2r_vs_expert": round(l2r_share / expert_share, 3) if expert_share else None,
        "l2r_share": l2r_share, "expert_share": expert_share, "share_per_task": per_task, "share_per_set": per_set,
        "valid_spec_share": round(sum(t["ok"] for t in translated) / len(translated), 3), "failed_at": failed_at,
        "mean_coder_rounds": round(sum(t["coder_rounds"] for t in translated) / len(translated), 2),
        "instructions": len(entries), "runs": n, "provider": args.provider, "model": args.model or "default",
        "coder_only": args.coder_only, "repair_budget": args.repair_budget, "translate_s": round(translate_s),
        "load_avg_1m": round(load[0], 2), "quick": args.quick, "headline_mode": modes[0], "max_tokens": args.max_tokens,
        "grammar_max_calls": args.grammar_max_calls, "grammar_max_segments": args.grammar_max_segments,
        "stages": stages, "program_valid_rate_grammar": stages.get("grammar", {}).get("program_valid_rate"),
        "program_valid_rate_free": stages.get("free", {}).get("program_valid_rate"),
    }))


if __name__ == "__main__":
    main()
