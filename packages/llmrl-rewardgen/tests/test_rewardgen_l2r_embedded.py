"""The L2R pipeline end to end with the real embedded model (SmolLM2-135M on CPU) and the real ``local`` sandbox.

Nothing about what the 135M model writes is assumed: whatever it replies must come out either as a spec
that the task's models validate, or as a clean TranslationError whose rounds each carry the reason,
with every round visible in the log. Budgets are tiny because the model is slow on 2 shared cores
(3 short generations; marked slow: under the shared machine's load average of ~13 a generation took minutes).
"""

from __future__ import annotations

import logging

import pytest

from llmrl_rewardgen.codegen import CodegenConfig
from llmrl_rewardgen.l2r import L2RConfig, L2RTranslator, TranslationError, prompts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quadruped():
    from llmrl_core import make_env

    try:
        return make_env("llmrl/Quadruped-v0").unwrapped.robot
    except Exception as exc:  # noqa: BLE001 - the env plugin is optional for llmrl-rewardgen
        pytest.skip(f"llmrl-mpc's quadruped is not available: {exc}")


def test_embedded_model_through_descriptor_and_coder(embedded_llm, quadruped, local_sandbox, caplog):
    cfg = L2RConfig(descriptor_retries=0, descriptor_max_tokens=64,
                    coder=CodegenConfig(repair_budget=1, temperature=0.3, max_tokens=80, timeout_s=20, memory_mb=512))
    tr = L2RTranslator(quadruped, embedded_llm, local_sandbox, cfg)
    with caplog.at_level(logging.INFO, logger="llmrl_rewardgen"):
        try:
            turn = tr.translate("Crouch: lower your torso to 0.45 m.")
        except TranslationError as exc:
            turn = exc.turn
            assert exc.stage in ("descriptor", "coder") and exc.last_error and "no controller was started" in str(exc)
            if exc.stage == "descriptor":  # the reply kept a slot: L2R's rule says retry, and the budget was 0
                assert len(turn.descriptor_replies) == 1 and turn.transcript is None
                assert prompts.unfilled_slots(turn.descriptor_replies[0]) or not turn.descriptor_replies[0].strip()
                assert "slot(s) left unfilled" in caplog.text or "empty reply" in caplog.text
            else:
                rounds = turn.transcript.rounds
                assert len(rounds) == 2 and exc.last_error == rounds[-1].error
                for r in rounds:  # each reply was either not code, or code that the sandbox ran and judged
                    assert r.error and (r.code is None or r.status is not None)
                assert "round 1/2: rejected" in caplog.text and "round 2/2: rejected" in caplog.text  # visible in the log
            assert tr.turns == []
        else:
            assert quadruped.validate(turn.spec_json) == turn.spec and turn.spec.calls[-1].fn == "execute_plan"
            assert turn.transcript.rounds[-1].status == "ok" and "accepted" in caplog.text
    assert len(turn.descriptor_replies) == 1
