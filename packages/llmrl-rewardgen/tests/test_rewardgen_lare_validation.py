"""LaRe's sandbox validation on real MuJoCo states: it accepts the worked examples and rejects bad functions."""

from __future__ import annotations

import numpy as np
import pytest

from llmrl_rewardgen.codegen import CodegenConfig, CodegenLoop, python_block
from llmrl_rewardgen.lare.evaluator import LatentFunctionError, SandboxedLatentFunction
from llmrl_rewardgen.lare.examples import EXAMPLES, worked_example, worked_example_source
from llmrl_rewardgen.lare.validation import ValidationConfig, latent_function_program, sample_env_batch


@pytest.fixture(scope="module")
def batch():
    return sample_env_batch("HalfCheetah-v5", 64, seed=0)


def validate(sandbox, code, batch, timeout_s=10.0, **cfg):
    loop = CodegenLoop(None, sandbox, extract=python_block(),
                       build_program=lambda c: latent_function_program(c, batch, ValidationConfig(**cfg)),
                       config=CodegenConfig(timeout_s=timeout_s))
    _, verdict, error = loop.validate(code)
    return verdict, error


def test_real_batch_is_diverse(batch):
    assert batch.observations.shape == (64, 17) and batch.actions.shape == (64, 6)
    assert np.all(batch.observations.std(0) > 0)


@pytest.mark.parametrize("env_id", sorted(EXAMPLES))
def test_every_worked_example_validates_on_its_own_env(local_sandbox, env_id):
    data = sample_env_batch(env_id, 128, seed=0)
    verdict, error = validate(local_sandbox, worked_example_source(env_id), data)
    assert error is None, error
    assert verdict["n_factors"] == EXAMPLES[env_id][1] and verdict["batch"] == 128
    assert all(s > 0 for s in verdict["factor_std"])


BAD = {
    "wrong shape": ("def evaluation_func(observation, action):\n    return [observation[:, 8]]",
                    "factor 0 has shape (64,), expected (64, 1)"),
    "NaN": ("import numpy as np\ndef evaluation_func(observation, action):\n"
            "    return [observation[:, 8:9], np.log(observation[:, 1:2])]", "factor 1 is NaN or infinite"),
    "constant": ("import numpy as np\ndef evaluation_func(observation, action):\n"
                 "    return [observation[:, 8:9], np.ones((len(observation), 1))]", "factor 1 is constant"),
    "exception": ("def evaluation_func(observation, action):\n    return [observation[:, 99:100] + action[:, 7]]",
                  "evaluation_func raised"),
    "not a list": ("def evaluation_func(observation, action):\n    return observation[:, :2]",
                   "must return a list of factor arrays, got ndarray"),
    "no function": ("def reward(observation, action):\n    return []", "defines no function `evaluation_func"),
    "batch coupled": ("def evaluation_func(observation, action):\n"
                      "    v = observation[:, 8:9]\n    return [(v - v.mean()) / (v.std() + 1e-8)]",
                      "changes when the other rows of the batch change"),
    "too slow": ("import time\ndef evaluation_func(observation, action):\n    time.sleep(0.3)\n"
                 "    return [observation[:, 8:9]]", "the limit is 0.2 s"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_validation_rejects(local_sandbox, batch, case):
    code, expected = BAD[case]
    verdict, error = validate(local_sandbox, code, batch, max_seconds_per_batch=0.2, drop_bad_factors=False)
    assert error is not None and expected in error, error


def test_bad_factors_are_dropped_and_the_rest_kept(local_sandbox, batch):
    """By default a constant or NaN factor is dropped, not the function; none left is a rejection."""
    code = ("import numpy as np\ndef evaluation_func(observation, action):\n    return [np.log(observation[:, 1:2]), "
            "observation[:, 8:9], np.ones((len(observation), 1)), -np.square(action[:, 0:1])]")
    verdict, error = validate(local_sandbox, code, batch)
    assert error is None, error
    assert verdict["kept"] == [1, 3] and verdict["n_factors"] == 2 and verdict["returned"] == 4
    assert "NaN or infinite" in verdict["dropped"]["0"] and "constant" in verdict["dropped"]["2"]
    fn = SandboxedLatentFunction(code, local_sandbox, 2, keep=verdict["kept"])
    got = fn(batch.observations[:5], batch.actions[:5])
    np.testing.assert_allclose(got, np.stack([batch.observations[:5, 8], -batch.actions[:5, 0] ** 2], 1), rtol=1e-5)
    none_left = "import numpy as np\ndef evaluation_func(observation, action):\n    return [np.ones((len(action), 1))]"
    verdict, error = validate(local_sandbox, none_left, batch)
    assert verdict["stage"] == "factors" and error.startswith("no factor is usable: factor 0 is constant")
    verdict, error = validate(local_sandbox, "def evaluation_func(observation, action):\n    return [", batch)
    assert verdict["stage"] == "parse" and error.startswith("the code does not parse: SyntaxError")


def test_validation_rejects_a_hang(local_sandbox, batch):
    code = "def evaluation_func(observation, action):\n    while True:\n        pass"
    verdict, error = validate(local_sandbox, code, batch, timeout_s=2.0)
    assert verdict is None and "did not finish within 2 s" in error


def test_sandboxed_evaluator_matches_trusted_example_in_chunks(local_sandbox):
    data = sample_env_batch("Reacher-v5", 300, seed=1)
    fn = SandboxedLatentFunction(worked_example_source("Reacher-v5"), local_sandbox, 4, max_request_bytes=4000)
    got = fn(data.observations, data.actions)
    want = worked_example("Reacher-v5")(data.observations, data.actions)
    assert got.shape == (300, 4) and fn.calls > 1  # split into several sandbox calls
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_evaluator_hang_at_training_time_is_a_clear_error(local_sandbox):
    code = ("import numpy as np\ndef evaluation_func(observation, action):\n"
            "    while observation.shape[0] > 100:\n        pass\n    return [observation[:, :1]]")
    fn = SandboxedLatentFunction(code, local_sandbox, 1, timeout_s=1.5)
    data = sample_env_batch("Reacher-v5", 120, seed=0)
    assert fn(data.observations[:10], data.actions[:10]).shape == (10, 1)
    with pytest.raises(LatentFunctionError, match="did not finish a batch of 120 states within 1.5 s"):
        fn(data.observations, data.actions)
