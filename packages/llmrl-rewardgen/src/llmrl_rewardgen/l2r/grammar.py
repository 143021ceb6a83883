"""The Reward Coder's grammar: a program that only calls the task's reward API, with arguments in range.

Built from the task's spec model (its JSON schema), so the grammar, the prompt's API text and
the validator are one source. A program is a fenced block of up to ``max_segments`` segments,
each an optional ``reset_reward()``, up to ``max_calls`` reward calls and an
``execute_plan(...)``. Calls use keyword arguments in the API's order; a number has at most two
decimals and lies in the argument's documented range (``number_range``); enums are quoted
names; a pair is ``(x, y)``. Cross-field rules the schema states (``x-exclusive``: at most one
of these arguments; ``x-distinct``: these arguments differ) are part of the grammar too, so
every program the grammar admits validates.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from llmrl_rewardgen.grammar import choice, literal, number_range

RESET, EXECUTE = "reset_reward", "execute_plan"


def _number(schema: dict[str, Any]) -> str:
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    if lo is None or hi is None:
        raise ValueError(f"an L2R number needs documented bounds, got {schema}")
    return number_range(lo, hi, exclusive_lo="exclusiveMinimum" in schema)


def _value(schema: dict[str, Any]) -> str:
    """The Lark expression of one argument's value (``None`` is never written: leave the argument out)."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    if len(options) != 1:
        raise ValueError(f"unsupported argument schema {schema}")
    s = options[0]
    if "enum" in s:
        return choice([q + str(v) + q for v in s["enum"] for q in ("'", '"')])
    if s.get("type") == "boolean":
        return choice(["True", "False"])
    if s.get("type") in ("number", "integer"):
        return _number(s)
    if s.get("type") == "array" and len(s.get("prefixItems", [])) == 2:
        first, second = (_number(item) for item in s["prefixItems"])
        return f'("(" {first} ", " {second} ")" | "[" {first} ", " {second} "]")'
    raise ValueError(f"unsupported argument schema {s}")


def _slots(model: dict[str, Any]) -> list[tuple[str, bool]]:
    """The call's arguments as (expression of 'name=value', required) slots; exclusive/distinct groups are one slot."""
    props = {k: v for k, v in model["properties"].items() if k != "fn"}
    required = set(model.get("required", []))
    grouped: dict[str, tuple[str, bool]] = {}
    members: set[str] = set()
    for group in model.get("x-exclusive", []):  # at most one of them
        grouped[group[0]] = ("(" + " | ".join(f"{literal(a + '=')} {_value(props[a])}" for a in group) + ")",
                             any(a in required for a in group))
        members.update(group)
    for group in model.get("x-distinct", []):  # each a different value: enumerate the combinations
        enums = [props[a]["enum"] for a in group]
        combos = [c for c in product(*enums) if len(set(c)) == len(c)]
        texts = [", ".join(f"{a}={v!r}" for a, v in zip(group, c, strict=True)) for c in combos]
        grouped[group[0]] = (choice(texts), all(a in required for a in group))
        members.update(group)
    slots = []
    for name in props:
        if name in grouped:
            slots.append(grouped[name])
        elif name not in members:
            slots.append((f"{literal(name + '=')} {_value(props[name])}", name in required))
    return slots


def _arguments(slots: list[tuple[str, bool]]) -> tuple[str, bool]:
    """``(expression, may_be_empty)`` for keyword arguments in slot order, comma-separated, optional ones omittable."""
    def rest(i: int) -> str:
        return " ".join(f'(", " {s})' + ("" if req else "?") for s, req in slots[i:])

    firsts = []
    for j, (s, _) in enumerate(slots):
        firsts.append(f"{s} {rest(j + 1)}".strip())
        if slots[j][1]:
            break  # a required slot cannot be skipped: the first argument comes at or before it
    empty = not any(req for _, req in slots)
    return ("(" + " | ".join(firsts) + ")") if firsts else '""', empty


def reward_program_grammar(spec_schema: dict[str, Any], *, max_calls: int = 9, max_segments: int = 2) -> str:
    """The Lark grammar (llguidance's dialect) of a Reward Coder reply for the spec whose JSON schema is given."""
    defs = spec_schema.get("$defs", {})
    calls: dict[str, str] = {}
    for model in defs.values():
        fn = model.get("properties", {}).get("fn", {}).get("const")
        if fn is None:
            continue
        args, empty = _arguments(_slots(model))
        calls[fn] = f'{literal(fn + "(")} {args}{"?" if empty and args != literal("") else ""} ")"'
    if EXECUTE not in calls or RESET not in calls:
        raise ValueError(f"the reward API has no {EXECUTE}/{RESET}: {sorted(calls)}")
    reward_calls = sorted(fn for fn in calls if fn not in (EXECUTE, RESET))
    rules = "\n".join(f"call_{fn}: {calls[fn]}" for fn in reward_calls)
    return f"""\
start: "```python\\n" segment{{1,{max_segments}}} "```"
segment: ("reset_reward()\\n")? (call "\\n"){{0,{max_calls}}} execute "\\n"
call: {" | ".join(f"call_{fn}" for fn in reward_calls)}
execute: {calls[EXECUTE]}
{rules}
"""
