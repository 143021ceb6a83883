"""LaRe's reply grammar: every string it admits parses and validates on real states; the embedded model stays inside it."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from llmrl_core import SamplingParams
from llmrl_rewardgen.codegen import CodegenLoop, python_block
from llmrl_rewardgen.lare import prompts
from llmrl_rewardgen.lare.generate import extract_latent_code
from llmrl_rewardgen.lare.grammar import latent_function_grammar
from llmrl_rewardgen.lare.tasks import TASKS
from llmrl_rewardgen.lare.validation import latent_function_program, sample_env_batch


def _validate(sandbox, code, batch):
    loop = CodegenLoop(None, sandbox, extract=python_block(), build_program=lambda c: latent_function_program(c, batch))
    _, verdict, error = loop.validate(code)
    return verdict, error


@pytest.mark.parametrize("env_id", sorted(TASKS))
def test_every_string_the_grammar_admits_parses_and_validates(grammar_walker, local_sandbox, env_id):
    batch = sample_env_batch(env_id, 128, seed=0)
    constant = np.flatnonzero(batch.observations.std(0) == 0).tolist()
    grammar = latent_function_grammar(TASKS[env_id], constant_columns=constant)
    rng = np.random.default_rng(0)
    for _ in range(6):
        reply = grammar_walker.sample(grammar, rng)
        code = extract_latent_code(reply)
        ast.parse(code)  # parsing is not running: the code runs only in the sandbox, below
        verdict, error = _validate(local_sandbox, code, batch)
        assert error is None, (error, reply)
        assert 1 <= verdict["n_factors"] <= verdict["returned"] <= 6


def test_the_grammar_refuses_what_it_must(grammar_walker):
    grammar = latent_function_grammar(TASKS["Reacher-v5"], max_factors=2)
    head = "```python\nimport numpy as np\n\n\ndef evaluation_func(observation, action):\n"
    good = head + "    # distance\n    f1 = -np.sqrt(np.square(observation[:, 8:9]) + np.square(observation[:, 9:10]))\n" \
                  "    return [f1]\n```"
    assert grammar_walker.admits(grammar, good)
    for bad in [
        good.replace("observation[:, 9:10]", "observation[:, 10:11]"),  # Reacher has 10 columns: 0..9
        good.replace("-np.sqrt(", "1 / np.sqrt("),  # no division
        good.replace("return [f1]", "return [f1, f2]"),  # only defined factors
        good.replace("observation[:, 8:9]", "observation[:, 8]"),  # a column keeps the batch dimension
        head + "    # constant\n    f1 = 1.0\n    return [f1]\n```",  # every factor reads a column
    ]:
        assert not grammar_walker.admits(grammar, bad), bad


@pytest.mark.slow
def test_the_embedded_model_under_the_grammar_writes_a_function_that_validates(embedded_llm, local_sandbox):
    """SmolLM2-135M, which never wrote a valid latent function freely, stays inside the grammar (one short reply)."""
    task = TASKS["Reacher-v5"]
    grammar = latent_function_grammar(task, max_factors=2, max_terms=2)
    (gen,) = embedded_llm.generate([prompts.candidate_messages(task)],
                                   SamplingParams(temperature=1.0, max_tokens=200, seed=0, grammar=grammar))
    assert gen.finish_reason == "stop" and gen.metadata["grammar_complete"], gen.text
    verdict, error = _validate(local_sandbox, extract_latent_code(gen.text), sample_env_batch("Reacher-v5", 128, seed=0))
    assert error is None, (error, gen.text)
