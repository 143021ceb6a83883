"""`llmrl serve` with the embedded SmolLM2, started as a real process on 127.0.0.1, driven by the openai provider.

No fake server: the provider conformance suite runs over HTTP against the real
model, and the answers are checked against the in-process transformers provider.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from llmrl_core import SamplingParams, get_provider
from llmrl_core.testing import ProviderConformance
from llmrl_integration_tests.serve import CLI


@pytest.fixture(scope="module")
def client(served: str):
    with get_provider("openai", base_url=served, return_token_ids=True, max_concurrency=4) as provider:
        yield provider


class TestOpenAIProviderAgainstLlmrlServe(ProviderConformance):
    reports_token_ids = True
    reports_logprobs = True

    @pytest.fixture
    def provider(self, client):
        return client


def test_models_lists_the_served_model(client) -> None:
    assert client.models() == ["smollm2-135m"]
    assert client.model == "smollm2-135m"


def test_http_answers_equal_in_process_answers(client) -> None:
    """Greedy tokens, text and logprobs through serve + openai equal the transformers provider's own."""
    prompts = ["The capital of France is", [{"role": "user", "content": "Name a fruit."}]]
    params = SamplingParams(temperature=0.0, max_tokens=8)
    remote = [client.generate([p], params)[0] for p in prompts]
    with get_provider("transformers") as local_provider:
        local = [local_provider.generate([p], params)[0] for p in prompts]
    for r, loc in zip(remote, local, strict=True):
        assert (r.text, r.token_ids, r.prompt_token_ids, r.finish_reason) == (
            loc.text, loc.token_ids, loc.prompt_token_ids, loc.finish_reason)
        assert r.logprobs == pytest.approx(loc.logprobs, abs=1e-4)


def test_unknown_model_is_a_clear_404(served: str) -> None:
    from llmrl_provider_openai.http import EndpointError

    with get_provider("openai", base_url=served, model="gpt-9") as provider:
        with pytest.raises(EndpointError, match=r"HTTP 404: The model 'gpt-9' does not exist.*'smollm2-135m'"):
            provider.generate(["hi"], SamplingParams(max_tokens=2))


def test_unsupported_and_invalid_fields_are_400_naming_them(served: str) -> None:
    from llmrl_provider_openai.http import EndpointError

    with get_provider("openai", base_url=served, extra_body={"logit_bias": {"42": 5}}) as provider:
        with pytest.raises(EndpointError, match=r"HTTP 400: logit_bias is not supported by llmrl serve"):
            provider.generate(["hi"], SamplingParams(max_tokens=2))
    with get_provider("openai", base_url=served, extra_body={"max_tokens": -3}) as provider:
        with pytest.raises(EndpointError, match=r"HTTP 400: max_tokens: "):
            provider.generate(["hi"])


def test_serve_on_a_busy_port_fails_fast_with_the_fix(served: str) -> None:
    port = served.rsplit(":", 1)[1].split("/")[0]
    done = subprocess.run([*CLI, "serve", "--port", port], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr


def test_generate_command_prints_completions() -> None:
    done = subprocess.run([*CLI, "generate", "Count: one, two,", "--raw", "-n", "2", "--max-tokens", "4",
                           "--temperature", "0.8", "--seed", "5", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["index"] for r in rows] == [0, 1]
    assert all(r["finish_reason"] in ("stop", "length") and 0 < len(r["token_ids"]) <= 4 for r in rows)


def test_completions_batch_prompts_and_n_in_openai_order(served: str) -> None:
    """Several prompts in one request: choice i is sample i % n of prompt i // n, with ids, logprobs, usage."""
    import httpx

    body = {"model": "smollm2-135m", "prompt": ["Hello", "The sky is"], "n": 2, "max_tokens": 4, "temperature": 0.9,
            "seed": 1, "logprobs": 1, "return_token_ids": True}
    reply = httpx.post(f"{served}/completions", json=body, timeout=300).json()
    choices = reply["choices"]
    assert [c["index"] for c in choices] == [0, 1, 2, 3]
    assert choices[0]["prompt_token_ids"] == choices[1]["prompt_token_ids"] != choices[2]["prompt_token_ids"]
    for c in choices:
        assert c["finish_reason"] in ("stop", "length") and 0 < len(c["token_ids"]) <= 4
        assert c["logprobs"]["tokens"] == [f"token_id:{t}" for t in c["token_ids"]]
        assert len(c["logprobs"]["token_logprobs"]) == len(c["token_ids"])
    usage = reply["usage"]
    assert usage["completion_tokens"] == sum(len(c["token_ids"]) for c in choices)
    assert usage["prompt_tokens"] == len(choices[0]["prompt_token_ids"]) + len(choices[2]["prompt_token_ids"])


def test_prompt_longer_than_the_context_is_a_400_with_the_fix(client) -> None:
    from llmrl_provider_openai.http import EndpointError

    with pytest.raises(EndpointError, match=r"HTTP 400: prompt 0 has \d+ tokens.*context.*8192.*truncate_prompt"):
        client.generate(["word " * 9000], SamplingParams(max_tokens=4))
