"""LaRe's prompts: the candidate prompt (understand -> analyse -> functions) and the summarising turn.

Restated from the paper and its public code: TASK + OBSERVATION FORM + (here also)
ACTION FORM + a role instruction asking for ``evaluation_func(observation, action)``
returning a list of latent factors, answered as JSON {Understand, Analyze, Functions}.
"""

from __future__ import annotations

from llmrl_core import ChatMessage
from llmrl_rewardgen.lare.tasks import TaskDescription

SYSTEM = (
    "You are an expert in reinforcement learning and robotics. You write short, correct, vectorised numpy code."
)

ROLE_INSTRUCTION = """\
ROLE INSTRUCTION: The reward of this task is only given at the end of each episode, so the agent cannot tell \
which of its steps were good. Help it by evaluating every single step with a few latent factors.
1. Understand: explain the task's goal in your own words.
2. Analyze: list the behaviours that the observation and the action reveal and that matter for the goal \
(progress, posture, stability, energy, safety ...).
3. Functions: write a Python function `evaluation_func(observation, action)` where `observation` is a numpy \
array of shape (batch, {obs_dim}) and `action` a numpy array of shape (batch, {act_dim}). It returns a Python \
list of latent factors, each a numpy array of shape (batch, 1) (keep the batch dimension: read one column as \
observation[:, i:i+1], and reduce with keepdims=True). Rules: import only numpy (as np) inside the code; use only the information \
given above; use few, meaningful factors (3 to 6); compute each row from its own observation and action only \
(no statistics over the batch); avoid division by zero and NaN; no loops over the batch; do not print.

Answer with one JSON object with the keys "Understand", "Analyze" and "Functions"; the value of "Functions" is \
the complete Python code as a string. Alternatively put the code in a ```python fenced block."""

SUMMARY_INSTRUCTION = """\
Above are {k} candidate answers written for the task below. Merge them into one better answer: incorporate all \
their useful evaluation factors, add other important ones they missed, drop duplicates and anything that breaks \
the rules, and write ONE function `evaluation_func(observation, action)` that follows every rule of the ROLE \
INSTRUCTION. Answer in the same JSON format (keys "Understand", "Analyze", "Functions") or with the code in a \
```python fenced block."""


def task_text(task: TaskDescription) -> str:
    return (
        f"TASK: {task.description}\n\n"
        f"OBSERVATION FORM (observation has shape (batch, {task.obs_dim})):\n{task.observation_form}\n\n"
        f"ACTION FORM (action has shape (batch, {task.act_dim})):\n{task.action_form}\n\n"
        + ROLE_INSTRUCTION.format(obs_dim=task.obs_dim, act_dim=task.act_dim)
    )


def candidate_messages(task: TaskDescription) -> list[ChatMessage]:
    """The prompt sampled K times at temperature 1.0."""
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task_text(task)}]


def summary_messages(task: TaskDescription, candidates: list[str]) -> list[ChatMessage]:
    """The summarising turn that merges the K candidates into one function."""
    listed = "\n\n".join(f"=== Candidate {i + 1} ===\n{c.strip()}" for i, c in enumerate(candidates))
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"{task_text(task)}\n\n{listed}\n\n" + SUMMARY_INSTRUCTION.format(k=len(candidates)),
        },
    ]


def repair_message(error: str) -> str:
    return (
        f"Your evaluation_func failed validation on a batch of real states and actions:\n{error}\n"
        "Fix it and answer again with the complete corrected `evaluation_func(observation, action)`, "
        'as JSON with the key "Functions" or in a ```python fenced block.'
    )
