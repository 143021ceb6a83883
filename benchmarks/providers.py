"""Provider overheads on the embedded SmolLM2, each against its reference in the same run.

1. Generated tokens/s of the transformers provider vs calling ``model.generate``
   directly on the same model object, with the same sampling settings and seed
   (so both sample the very same tokens), at batch 1 and batch 32. Runs alternate
   which path goes first and the medians are compared, which damps a shared CPU's noise.
2. The latency ``llmrl serve`` + the openai provider add over an in-process call
   (the same greedy request, 1 token and ``max_tokens``; medians of alternating runs),
   with the server on 127.0.0.1 in a thread of this process.

    uv run python benchmarks/providers.py --quick

The last line printed is one JSON object of the headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time


def _prompts(count: int) -> list[str]:
    topics = ["rivers", "prime numbers", "the moon", "bread", "chess", "volcanoes", "jazz", "bees"]
    return [f"Write a short note about {topics[i % len(topics)]}." + " Be precise." * (i % 5) for i in range(count)]


def _direct(provider, prompts: list[str], max_tokens: int, seed: int) -> tuple[int, float]:
    """``model.generate`` by hand: left-padded batch, same config the provider builds, same seed."""
    import torch
    from transformers import GenerationConfig

    tok, model = provider.tokenizer, provider.model
    batch = tok(prompts, return_tensors="pt", padding=True)
    config = GenerationConfig(max_new_tokens=max_tokens, do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                              pad_token_id=tok.pad_token_id, eos_token_id=sorted(provider.eos_ids))
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]), torch.inference_mode():
        torch.manual_seed(seed)
        out = model.generate(**batch, generation_config=config)
    elapsed = time.perf_counter() - start
    tokens = 0
    for row in out[:, batch["input_ids"].shape[1]:].tolist():
        ends = [i for i, t in enumerate(row) if t in provider.eos_ids]
        tokens += ends[0] + 1 if ends else len(row)
    return tokens, elapsed


def _via_provider(provider, prompts: list[str], max_tokens: int, seed: int) -> tuple[int, float]:
    from llmrl_core import SamplingParams

    start = time.perf_counter()
    gens = provider.generate(prompts, SamplingParams(temperature=1.0, max_tokens=max_tokens, seed=seed))
    return sum(len(g.token_ids) for g in gens), time.perf_counter() - start


def throughput(provider, batch: int, max_tokens: int, reps: int) -> dict[str, float]:
    """Tokens/s of both paths: warmed up at this batch size, alternating which goes first, medians kept."""
    import statistics

    # Longest first, as the provider orders rows, so both runs give each row the same random stream.
    prompts = sorted(_prompts(batch), key=lambda p: -len(provider.tokenizer(p)["input_ids"]))
    _via_provider(provider, prompts, 2, 0)
    _direct(provider, prompts, 2, 0)
    rates: dict[str, list[float]] = {"provider": [], "direct": []}
    counts = {}
    for rep in range(reps):
        order = [("provider", _via_provider), ("direct", _direct)][:: 1 if rep % 2 == 0 else -1]
        for name, fn in order:
            tokens, elapsed = fn(provider, prompts, max_tokens, seed=100 + rep)
            counts.setdefault(rep, {})[name] = tokens
            rates[name].append(tokens / elapsed)
    provider_rate, direct_rate = statistics.median(rates["provider"]), statistics.median(rates["direct"])
    return {"provider_tok_s": provider_rate, "direct_tok_s": direct_rate, "ratio": provider_rate / direct_rate,
            "best_ratio": max(rates["provider"]) / max(rates["direct"]),
            "tokens_equal": all(c["provider"] == c["direct"] for c in counts.values())}


def serve_latency(provider, max_tokens: int, reps: int) -> dict[str, float]:
    """Median in-process vs HTTP time of the same greedy request, alternating, for 1 token and ``max_tokens``.

    The 1-token request isolates the fixed cost (HTTP, JSON, thread hops); medians of
    alternating runs damp a shared CPU's noise, which dwarfs that cost on long requests.
    """
    import statistics

    from llmrl_core import SamplingParams, get_provider
    from llmrl_serve.server import bind, build_app, run_server

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    threading.Thread(target=run_server, args=(build_app(provider, "smollm2-135m"), sock), daemon=True).start()
    prompt = ["The three primary colours are"]
    out = {}
    with get_provider("openai", base_url=f"http://127.0.0.1:{port}/v1", model="smollm2-135m") as client:
        client.generate(prompt, SamplingParams(max_tokens=1))  # warm-up: connection, first request
        for tokens in (1, max_tokens):
            params = SamplingParams(temperature=0.0, max_tokens=tokens)
            local, remote = [], []
            for _ in range(reps):
                start = time.perf_counter()
                a = provider.generate(prompt, params)
                local.append(time.perf_counter() - start)
                start = time.perf_counter()
                b = client.generate(prompt, params)
                remote.append(time.perf_counter() - start)
                assert a[0].token_ids == b[0].token_ids or b[0].token_ids is None, (a[0].text, b[0].text)
                assert a[0].text == b[0].text, (a[0].text, b[0].text)
            out[tokens] = (statistics.median(local), statistics.median(remote))
    (l1, r1), (ln, rn) = out[1], out[max_tokens]
    return {"added_ms_1tok": (r1 - l1) * 1e3, "in_process_ms_1tok": l1 * 1e3, "http_ms_1tok": r1 * 1e3,
            "in_process_ms": ln * 1e3, "http_ms": rn * 1e3, "ratio": rn / ln}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="Small settings that finish in under a minute.")
    args = parser.parse_args()
    max_tokens, reps, big = (8, 3, 32) if args.quick else (32, 5, 32)

    import torch

    from llmrl_core import get_provider

    t0 = time.perf_counter()
    provider = get_provider("transformers")
    load_s = time.perf_counter() - t0
    machine = f"{platform.machine()} {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"
    print(f"machine: {machine}; model load {load_s:.1f} s; max_tokens={max_tokens}, reps={reps}")
    b1 = throughput(provider, 1, max_tokens, reps)
    print(f"batch 1 : provider {b1['provider_tok_s']:7.1f} tok/s  direct {b1['direct_tok_s']:7.1f} tok/s  "
          f"ratio {b1['ratio']:.3f} (best-of {b1['best_ratio']:.3f})  same tokens: {b1['tokens_equal']}")
    b32 = throughput(provider, big, max_tokens, reps)
    print(f"batch {big}: provider {b32['provider_tok_s']:7.1f} tok/s  direct {b32['direct_tok_s']:7.1f} tok/s  "
          f"ratio {b32['ratio']:.3f} (best-of {b32['best_ratio']:.3f})  same tokens: {b32['tokens_equal']}")
    lat = serve_latency(provider, max_tokens, 5 if args.quick else 9)
    print(f"serve   : 1 token: in-process {lat['in_process_ms_1tok']:.1f} ms, via llmrl serve + openai "
          f"{lat['http_ms_1tok']:.1f} ms, added {lat['added_ms_1tok']:.1f} ms (medians)")
    print(f"serve   : {max_tokens} tokens: in-process {lat['in_process_ms']:.1f} ms, via HTTP {lat['http_ms']:.1f} ms, "
          f"ratio {lat['ratio']:.3f}")
    print(json.dumps({
        "tok_s_ratio_batch1": round(b1["ratio"], 3), "tok_s_ratio_batch32": round(b32["ratio"], 3),
        "provider_tok_s_batch1": round(b1["provider_tok_s"], 1), "direct_tok_s_batch1": round(b1["direct_tok_s"], 1),
        "provider_tok_s_batch32": round(b32["provider_tok_s"], 1), "direct_tok_s_batch32": round(b32["direct_tok_s"], 1),
        "serve_added_latency_ms": round(lat["added_ms_1tok"], 1), "serve_latency_ratio": round(lat["ratio"], 3),
        "max_tokens": max_tokens, "quick": args.quick,
    }))


if __name__ == "__main__":
    main()
