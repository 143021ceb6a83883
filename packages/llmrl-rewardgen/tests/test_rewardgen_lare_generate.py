"""LaRe's generate loop end to end with the embedded SmolLM2-135M and the real local sandbox.

A 135M model rarely writes a valid function; the test checks that whatever it writes is validated
or rejected properly, that every round is recorded and logged, and that the cache works.
"""

from __future__ import annotations

import logging

import pytest

from llmrl_rewardgen.codegen import CodegenError
from llmrl_rewardgen.lare.generate import GenerateConfig, GeneratedLatentFunction, cache_path, generate_latent_function
from llmrl_rewardgen.lare.validation import latent_function_program, sample_env_batch


@pytest.mark.slow
def test_generate_with_the_embedded_model(embedded_llm, local_sandbox, tmp_path, caplog):
    cfg = GenerateConfig(n_candidates=2, max_tokens=48, repair_budget=1, seed=0)
    with caplog.at_level(logging.INFO, logger="llmrl_rewardgen"):
        try:
            result = generate_latent_function("Reacher-v5", embedded_llm, local_sandbox, provider_name="transformers",
                                              model_name="smollm2-135m", config=cfg, cache_root=tmp_path)
        except CodegenError as exc:
            result, error = None, exc
    log = caplog.text
    assert "LaRe candidate 1/2" in log and "LaRe candidate 2/2" in log
    assert "ACTION FORM" in log and "torque applied at the first joint" in log  # the action layout reaches the LLM
    assert "round 1/2: the LLM replied" in log
    path = cache_path("Reacher-v5", "transformers", "smollm2-135m", 0, tmp_path)
    if result is None:  # rejected: each round's error is named, in the error and in the log
        rounds = error.transcript.rounds
        assert len(rounds) == 2 and all(r.error for r in rounds)
        assert "round 2/2" in log and "rejected" in log
        for r in rounds:
            assert f"round {r.index + 1}: {r.error}" in str(error)
        assert "worked example" in str(error) and not path.exists()
    else:  # accepted: the cached code passes an independent re-validation in the sandbox
        assert path.is_file() and GeneratedLatentFunction.read(path).code == result.code
        program = latent_function_program(result.code, sample_env_batch("Reacher-v5", 64, seed=5))
        assert '"ok": true' in local_sandbox.run(program.code, timeout_s=30, files=program.files).stdout
