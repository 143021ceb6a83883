"""Language to Reward (Yu et al. 2023): instructions -> reward specs for MPC robot tasks.

:class:`L2RTranslator` runs L2R's two prompts — a Motion Descriptor that fills a slot template
and a Reward Coder that writes calls to the task's reward API — and validates the coder's
program in a sandbox through the reusable :mod:`llmrl_rewardgen.codegen` loop.
"""

from llmrl_rewardgen.l2r.translator import L2RConfig, L2RTranslator, L2RTurn, TranslationError, call_to_code

__all__ = ["L2RConfig", "L2RTranslator", "L2RTurn", "TranslationError", "call_to_code"]
