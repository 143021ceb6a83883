"""LaRe's generation pipeline (K candidates -> summary -> validation -> repair -> cache), driven by a scripted
test-double provider; every candidate runs through the real local sandbox on real Reacher states."""

from __future__ import annotations

import json

import pytest

from llmrl_core import Generation, GrammarUnsupportedError, LLMProvider, SamplingParams
from llmrl_rewardgen.codegen import CodegenError
from llmrl_rewardgen.lare.examples import worked_example_source
from llmrl_rewardgen.lare.generate import GenerateConfig, PipelineReport, cache_path, generate_latent_function


class ScriptedTestDoubleProvider(LLMProvider):
    """TEST DOUBLE: answers each call from a script and records (prompt, params)."""

    name = "scripted-test-double"

    def __init__(self, script: list[list[str]]):
        self.script = list(script)
        self.calls: list[tuple[list, SamplingParams]] = []

    def generate(self, prompts, params=None):
        self.calls.append((prompts, params))
        texts = self.script.pop(0)
        assert len(texts) == len(prompts) * params.n
        return [Generation(text=t, finish_reason="stop") for t in texts]


GOOD = worked_example_source("Reacher-v5")
BAD_SHAPE = "import numpy as np\ndef evaluation_func(observation, action):\n    return [observation[:, 8]]\n"


def answer(code: str) -> str:
    return json.dumps({"Understand": "reach the target", "Analyze": "distance, effort", "Functions": code})


def test_candidates_summary_repair_and_cache(local_sandbox, tmp_path):
    llm = ScriptedTestDoubleProvider([
        ["candidate one: distance", "candidate two: effort", "candidate three"],  # K = 3 candidates, one call
        [answer(BAD_SHAPE)],  # the summarised function: wrong shape
        [f"Fixed:\n```python\n{GOOD}```"],  # the repair
    ])
    cfg = GenerateConfig(n_candidates=3, repair_budget=2, seed=7)
    result = generate_latent_function("Reacher-v5", llm, local_sandbox, provider_name="double", model_name="m/1",
                                      config=cfg, cache_root=tmp_path)
    (cand_prompts, cand_params), (sum_prompts, sum_params), (rep_prompts, _) = llm.calls
    assert cand_params.n == 3 and cand_params.temperature == 1.0 and cand_params.seed == 7
    assert "ACTION FORM" in cand_prompts[0][-1]["content"]
    assert sum_params.temperature == 0.3 and "=== Candidate 3 ===\ncandidate three" in sum_prompts[0][-1]["content"]
    assert "factor 0 has shape (256,), expected (256, 1)" in rep_prompts[0][-1]["content"]
    assert result.code == GOOD.strip() and result.n_factors == 4 and result.source == "llm"
    rounds = result.transcript["rounds"]
    assert [r["error"] is None for r in rounds] == [False, True]
    path = cache_path("Reacher-v5", "double", "m/1", 7, tmp_path)
    cached = json.loads(path.read_text())
    assert [c["response"] for c in cached["candidates"]] == ["candidate one: distance", "candidate two: effort",
                                                            "candidate three"]
    assert cached["transcript"]["rounds"][0]["response"] == answer(BAD_SHAPE)
    # the second call is served from the cache (re-validated in the sandbox), without the LLM
    again = generate_latent_function("Reacher-v5", ScriptedTestDoubleProvider([]), local_sandbox,
                                     provider_name="double", model_name="m/1", config=cfg, cache_root=tmp_path)
    assert again.code == result.code
    # and the cached function evaluates whole batches in the sandbox
    import numpy as np

    fn = again.load(local_sandbox)
    assert fn(np.zeros((5, 10), np.float32) + 0.1, np.zeros((5, 2), np.float32)).shape == (5, 4)


def test_no_survivor_names_every_round_and_the_fallbacks(local_sandbox, tmp_path):
    llm = ScriptedTestDoubleProvider([["c1"], ["just words"], [answer(BAD_SHAPE)]])
    with pytest.raises(CodegenError) as info:
        generate_latent_function("Reacher-v5", llm, local_sandbox, provider_name="double", model_name="m",
                                 config=GenerateConfig(n_candidates=1, repair_budget=1), cache_root=tmp_path)
    msg = str(info.value)
    assert "round 1: the reply contains no JSON object" in msg and "round 2: factor 0 has shape (256,)" in msg
    assert "--latent example" in msg and "--baseline rrd-state" in msg
    assert not cache_path("Reacher-v5", "double", "m", 0, tmp_path).exists()


def test_stage_counts_of_candidates_summary_and_repairs(local_sandbox, tmp_path):
    """The report counts what each stage came to: candidates parsed/validated, repairs, factors kept."""
    dropping = GOOD.replace("return [closeness, near, settle, effort]",
                            "return [closeness, near, settle, effort, np.ones_like(closeness)]")
    llm = ScriptedTestDoubleProvider([
        [f"```python\n{GOOD}```", answer(BAD_SHAPE), "prose only", "```python\ndef evaluation_func(o, a):\n  return [\n```"],
        [answer("def evaluation_func(observation, action) return 1")],  # the summary does not parse
        [answer(dropping)],  # the repair validates, with one constant factor dropped
    ])
    result = generate_latent_function("Reacher-v5", llm, local_sandbox, provider_name="double", model_name="m",
                                      config=GenerateConfig(n_candidates=4, repair_budget=2), cache_root=tmp_path)
    counts = PipelineReport(**result.report).counts()
    assert counts == {"candidates": 4, "candidates_parsed": 2, "candidates_validated": 1, "summary_parsed_first": False,
                      "summary_validated_first": False, "repairs": 1, "accepted": True, "factors_kept": 4,
                      "factors_returned": 5}
    assert result.kept == [0, 1, 2, 3] and "constant" in result.report["dropped"]["4"]
    assert all(p.grammar is None for _, p in llm.calls)  # this provider cannot constrain: auto means off


def test_the_grammar_goes_with_every_sample_or_is_refused(local_sandbox, tmp_path):
    llm = ScriptedTestDoubleProvider([[f"```python\n{GOOD}```"], [f"```python\n{GOOD}```"]])
    with pytest.raises(GrammarUnsupportedError, match="cannot constrain its decoding"):
        generate_latent_function("Reacher-v5", llm, local_sandbox, provider_name="double", model_name="m",
                                 config=GenerateConfig(n_candidates=1, grammar="on"), cache_root=tmp_path)
    assert llm.calls == []  # refused before any request
    llm.supports_grammar = True
    result = generate_latent_function("Reacher-v5", llm, local_sandbox, provider_name="double", model_name="m",
                                      config=GenerateConfig(n_candidates=1), cache_root=tmp_path)
    assert result.grammar and all(p.grammar and "def evaluation_func" in p.grammar for _, p in llm.calls)
    assert cache_path("Reacher-v5", "double", "m", 0, tmp_path, grammar=True).is_file()
