"""Rewards and reflection metrics on crafted texts, including the substring traps MAYE's code falls into."""

from __future__ import annotations

import pytest

from llmrl_grpo.config import GRPOTrainConfig
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
    assert acc.last_batch["judges"] == ["math_verify"] * 4 + ["unreadable", "math_verify"]
    assert acc(completions=["\\boxed{3}"], answer=["not math at all \\"]) == [0.0]
    with pytest.raises(KeyError, match="answer"):
        acc(completions=["1"], solution=["1"])


def test_an_unevaluated_expression_is_not_a_numeric_answer() -> None:
    # Both judges compare by value: without numbers_only the judge does the multiplication for the model
    # (a ToRL run without the tool learnt to box "47 * 83" in an 8-step run).
    completions = ["The answer is \\boxed{47 * 83}.", "\\boxed{47 \\times 83}", "The answer is \\boxed{3901}.",
                   "\\boxed{3{,}901}", "so x = 3901", "\\boxed{\\frac{1}{2}}", "\\boxed{\\frac{\\pi}{2}}"]
    answers = ["3901", "3901", "3901", "3901", "3901", "0.5", "\\frac{\\pi}{2}"]
    strict = AccuracyReward(numbers_only=True)
    assert strict(completions=completions, answer=answers) == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert strict.last_batch["judges"][:2] == ["not_a_number", "not_a_number"]
    assert strict.decided["not_a_number"] == 2 and strict.expressions == 2 and strict.unparseable == 0
    lenient = AccuracyReward()  # MAYE's judges exactly (the default); the expressions are still counted
    assert lenient(completions=completions, answer=answers) == [1.0] * 7
    assert lenient.expressions == 2 and lenient.decided["not_a_number"] == 0
    assert GRPOTrainConfig().rewards.numbers_only is False


def test_sympy_judge_decides_what_math_verify_does_not_find_right() -> None:
    logged: dict[str, float] = {}
    acc = AccuracyReward()
    completions = [
        "So x = 3.5, and the answer is \\boxed{3. 5}.",  # math-verify reads "3." ; the judge reads the box
        "It is about \\boxed{0.33333}.",  # within the judge's 1e-4 relative tolerance of 1/3
        "Thus \\boxed{7}. Wait, 8.",  # the judge reads the last sentence *with* a box: 7
        "\\boxed{12}",
        "no answer here",
    ]
    answers = ["3.5", "1/3", "8", "12", "4"]
    scores = acc(completions=completions, answer=answers, log_metric=lambda k, v: logged.__setitem__(k, v))
    assert scores == [1.0, 1.0, 0.0, 1.0, 0.0]
    assert acc.last_batch["judges"] == ["sympy", "sympy", "sympy", "math_verify", "unreadable"]
    assert logged == {"judge/math_verify": 0.2, "judge/sympy": 0.6, "judge/unreadable": 0.2, "judge/not_a_number": 0.0,
                      "judge/sympy_right": 0.4}
    assert acc.decided == {"math_verify": 1, "sympy": 3, "unreadable": 1, "not_a_number": 0}
    alone = AccuracyReward(sympy_judge=False)
    assert alone(completions=completions[:2], answer=answers[:2]) == [0.0, 0.0]


def test_sympy_judge_reads_the_box_of_the_last_sentence_with_one() -> None:
    from llmrl_grpo.judge import last_boxed, last_boxed_sentence, sympy_judge

    text = "First \\boxed{1}. So 2 + 2 = 4. The answer is \\boxed{\\frac{1}{2}}. Done."
    assert last_boxed_sentence(text) == "The answer is \\boxed{\\frac{1}{2}}."
    assert last_boxed("\\boxed{\\frac{a}{b}} and \\boxed 5.") == "5"
    assert sympy_judge("\\boxed{2\\sqrt{3}}", "\\sqrt{12}") is True
    assert sympy_judge("\\boxed{50\\%}", "0.5") is True
    assert sympy_judge("\\boxed{7}", "8") is False
    assert sympy_judge("no box at all: 8", "8") is None
    assert sympy_judge("\\boxed{__import__('os').system('true')}", "1") in (False, None)  # parsed by a grammar, never run


def test_language_reward_penalises_cjk_share_for_english() -> None:
    lang = LanguageReward("en", coef=0.1)  # MAYE: the share of CJK characters
    assert lang(completions=["The answer is 4."]) == [0.0]
    mixed = "答案是 4"  # 3 CJK characters out of 4 non-space
    assert lang(completions=[mixed])[0] == pytest.approx(-0.1 * 3 / 4)
    assert lang(completions=["So the area is 12π, c'est ça, площадь"]) == [0.0]  # Greek, accents, Cyrillic: not CJK
    assert lang(completions=["答案，4"])[0] == pytest.approx(-0.1 * 3 / 4)  # CJK punctuation counts
    with pytest.raises(ValueError, match="foreign"):
        LanguageReward("zh")  # a CJK target under the CJK penalty would penalise itself
    with pytest.raises(ValueError, match="unknown language"):
        LanguageReward("klingon")


def test_language_reward_foreign_scope_penalises_every_other_script() -> None:
    broad = LanguageReward("en", coef=0.1, scope="foreign")
    assert broad(completions=["12π"])[0] == pytest.approx(-0.1 / 3)
    assert broad(completions=["答案是 4"])[0] == pytest.approx(-0.1 * 3 / 4)
    zh = LanguageReward("zh", scope="foreign")
    assert zh(completions=["答案是四"]) == [0.0] and zh(completions=["abcd"])[0] == pytest.approx(-0.1)


def test_reward_config_rejects_a_language_its_scope_would_penalise() -> None:
    from llmrl_core.config import load_config
    from llmrl_core.errors import ConfigError
    from llmrl_grpo.config import GRPOTrainConfig

    with pytest.raises(ConfigError, match="language_scope"):
        load_config(GRPOTrainConfig, overrides=["rewards.language=zh"])
    cfg = load_config(GRPOTrainConfig, overrides=["rewards.language=zh", "rewards.language_scope=foreign"])
    assert cfg.rewards.language_scope == "foreign"


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
