"""The grammar of a latent function: what an LLM may reply when LaRe's decoding is constrained.

The reply is one fenced ``evaluation_func(observation, action)`` whose body assigns a few
factors ``f1 ... fk`` and returns ``[f1, ..., fk]``. Each factor, after a one-line comment that
names it, is a small numpy expression over single columns written ``observation[:, i:i+1]`` /
``action[:, j:j+1]`` (indices inside the task's layout), so every factor has shape (batch, 1):

- a sum of up to ``max_terms`` terms, each an optional coefficient times an atom, or two atoms
  multiplied;
- atoms: a column; ``np.abs / np.square / np.tanh / np.sin / np.cos`` of a short sum of columns;
  ``np.sqrt`` of a sum of squared columns; ``np.exp(-c * np.abs(...))``; the sum of squares or
  the norm of a slice that the task's layout names (``action``, ``observation[:, 270:348]``).

No division, log or unguarded sqrt, no reductions over the batch, and every term reads at least
one column: whatever the grammar admits parses, runs, and returns finite (batch, 1) factors.
Only a factor that is constant on real states (``np.square(cos) + np.square(sin)``) can still
fail; validation drops it (:class:`~llmrl_rewardgen.lare.validation.ValidationConfig`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from llmrl_rewardgen.grammar import choice, literal
from llmrl_rewardgen.lare.tasks import TaskDescription

HEADER = "```python\nimport numpy as np\n\n\ndef evaluation_func(observation, action):\n"
COMMENT = r"/[A-Za-z][A-Za-z0-9 ,.()+\-*\/'=<>]{0,60}/"
COEFFICIENT = r"/(0|[1-9][0-9]?)(\.[0-9]{1,3})?/"  # no leading zeros: "03" is a SyntaxError
_SLICE = re.compile(r"observation\[:, (\d+):(\d+)\]")


def _columns(task: TaskDescription, skip: set[int]) -> tuple[list[str], list[str]]:
    obs = [f"observation[:, {i}:{i + 1}]" for i in range(task.obs_dim) if i not in skip]
    act = [f"action[:, {j}:{j + 1}]" for j in range(task.act_dim)]
    return obs, act


def named_slices(task: TaskDescription) -> list[str]:
    """``action`` and the multi-column observation slices the task's layout names (for sums of squares and norms)."""
    slices = ["action"]
    for lo, hi in _SLICE.findall(task.observation_form):
        if int(hi) - int(lo) >= 2 and int(hi) <= task.obs_dim:
            slices.append(f"observation[:, {lo}:{hi}]")
    return list(dict.fromkeys(slices))


def latent_function_grammar(task: TaskDescription, *, max_factors: int = 6, max_terms: int = 3,
                            constant_columns: Iterable[int] = ()) -> str:
    """The Lark grammar (llguidance's dialect) of an ``evaluation_func`` for ``task``.

    ``constant_columns``: observation columns that do not vary on real states (e.g. a body's
    mass in HumanoidStandup's observation); they are left out, as a factor of them is constant.
    """
    if max_factors < 1 or max_terms < 1:
        raise ValueError("max_factors and max_terms must be >= 1")
    obs, act = _columns(task, set(constant_columns))
    bodies = []
    for k in range(1, max_factors + 1):
        lines = " ".join(f'"    # " {COMMENT} "\\n    f{i} = " factor "\\n"' for i in range(1, k + 1))
        ret = literal("    return [" + ", ".join(f"f{i}" for i in range(1, k + 1)) + "]\n")
        bodies.append(f"{lines} {ret}")
    body_rules = "\n".join(f"body{k}: {b}" for k, b in enumerate(bodies, start=1))
    slices = named_slices(task)
    return f"""\
start: {literal(HEADER)} body "```"
body: {" | ".join(f"body{k}" for k in range(1, max_factors + 1))}
{body_rules}
factor: sign term ({choice([" + ", " - "])} term){{0,{max_terms - 1}}}
sign: "-"?
term: (COEF " * ")? atom | atom " * " atom
atom: column
    | {choice(["np.abs(", "np.square(", "np.tanh(", "np.sin(", "np.cos("])} colsum ")"
    | "np.sqrt(" square (" + " square){{0,3}} ")"
    | "np.exp(-" COEF " * np.abs(" colsum "))"
    | "np.sum(np.square(" slice "), axis=1, keepdims=True)"
    | "np.linalg.norm(" slice ", axis=1, keepdims=True)"
colsum: sign (COEF " * ")? column ({choice([" + ", " - "])} (COEF " * ")? column){{0,2}}
square: "np.square(" column ")"
column: OBS | ACT
slice: {choice(slices)}
OBS: {choice(obs)}
ACT: {choice(act)}
COEF: {COEFFICIENT}
"""
