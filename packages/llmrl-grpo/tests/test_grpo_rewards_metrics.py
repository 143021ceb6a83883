"""Rewards and reflection metrics on crafted texts, including the substring traps MAYE's code falls into."""

from __future__ import annotations

import pytest

from llmrl_grpo.metrics import (
    REFLECTION_WORDS,
    count_reflection_words,
    has_reflection,
    pass_at_k,
    reflection_ratios,
    reflection_word_totals,
)
from llmrl_grpo.rewards import AccuracyReward, FormatReward, LanguageReward, TruncationPenalty, completion_text


def test_fifteen_words_counted_as_whole_words_case_insensitive() -> None:
    assert len(REFLECTION_WORDS) == 15
    text = "Wait, WAIT. Let me re-check and Recheck. I will verify; yet I should try again, think  again."
    counts = count_reflection_words(text)
    assert counts["wait"] == 2 and counts["re-check"] == 1 and counts["recheck"] == 1
    assert counts["verify"] == 1 and counts["yet"] == 1 and counts["try again"] == 1 and counts["think again"] == 1
    assert counts["re-evaluate"] == 0


@pytest.mark.parametrize(
    "trap", ["awaited", "unverified", "yeti", "waiter", "verifying", "rethinking", "yesterday", "re-checked", "wait-list", "unverify"]
)
def test_substrings_never_count(trap: str) -> None:
    assert not has_reflection(f"The {trap} result is 4.")
    assert sum(count_reflection_words(trap).values()) == 0


def test_every_word_is_found_alone() -> None:
    for word in REFLECTION_WORDS:
        assert count_reflection_words(f"... {word.upper()}! ...")[word] == 1, word


def test_reflection_ratios_on_a_crafted_batch() -> None:
    texts = ["Wait, 4.", "4", "Let me verify: 5", "5", "awaited 5"]
    correct = [True, True, False, False, False]
    r = reflection_ratios(texts, correct)
    assert r["reflection_ratio"] == pytest.approx(2 / 5)
    assert r["reflection_ratio_in_correct"] == pytest.approx(1 / 2)
    assert r["reflection_ratio_in_incorrect"] == pytest.approx(1 / 3)
    assert r["correct_ratio_with_reflection"] == pytest.approx(1 / 2)
    assert r["correct_ratio_without_reflection"] == pytest.approx(1 / 3)
    assert reflection_word_totals(texts)["wait"] == 1
    with pytest.raises(ValueError, match="2 texts but 1"):
        reflection_ratios(["a", "b"], [True])


def test_pass_at_k() -> None:
    assert pass_at_k([[False, True], [False, False], [True, True], [False, False]]) == 0.5
    assert pass_at_k([]) == 0.0


def test_accuracy_reward_compares_values_and_counts_unparseable() -> None:
    acc = AccuracyReward()
    completions = [
        "The answer is \\boxed{12}.",
        "7 + 5 = 12",
        "\\boxed{\\frac{1}{2}}",
        "The answer is 13",
        "I have no idea.",
        [{"role": "assistant", "content": "So it is 12."}],
    ]
    answers = ["12", "12", "0.5", "12", "12", "12"]
    assert acc(prompts=None, completions=completions, answer=answers) == [1.0, 1.0, 1.0, 0.0, 0.0, 1.0]
    assert acc.unparseable == 1
    assert acc(completions=["\\boxed{3}"], answer=["not math at all \\"]) == [0.0]
    with pytest.raises(KeyError, match="answer"):
        acc(completions=["1"], solution=["1"])


def test_language_reward_penalises_cjk_share_for_english() -> None:
    lang = LanguageReward("en", coef=0.1)
    assert lang(completions=["The answer is 4."]) == [0.0]
    mixed = "答案是 4"  # 3 CJK characters out of 4 non-space
    assert lang(completions=[mixed])[0] == pytest.approx(-0.1 * 3 / 4)
    zh = LanguageReward("zh")
    assert zh(completions=["答案是四"]) == [0.0] and zh(completions=["abcd"])[0] == pytest.approx(-0.1)
    with pytest.raises(ValueError, match="unknown language"):
        LanguageReward("klingon")


def test_truncation_penalty_needs_the_limit_without_eos() -> None:
    pen = TruncationPenalty(max_completion_length=4, eos_token_id=2, penalty=-0.1)
    ids = [[5, 6, 2], [5, 6, 7, 8], [5, 6, 7, 2]]
    assert pen(completions=["a", "b", "c"], completion_ids=ids) == [0.0, -0.1, 0.0]
    with pytest.raises(KeyError, match="completion_ids"):
        pen(completions=["a"])


def test_format_reward_matches_think_then_boxed() -> None:
    fmt = FormatReward()
    assert fmt(completions=["<think>2+2</think> so \\boxed{4}", "\\boxed{4}", "<think>x</think> 4"]) == [1.0, 0.0, 0.0]
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "hi"}]}]) == "hi"
