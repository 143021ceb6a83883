"""The validation program for a Reward Coder's candidate: run it against the recording stub, in a sandbox.

The harness (this module's ``CHECKS``) runs *inside* the sandbox: it refuses imports other
than numpy and redefinitions of API functions, executes the candidate with the task's
call recorders in scope, turns a wrong name or argument into an error that lists the API,
and reports the recorded calls as the verdict. Ranges and types are then checked in this
process on that JSON by the task's pydantic spec model (data, never code).
"""

from __future__ import annotations

from llmrl_rewardgen.codegen import SandboxProgram, harness

CHECKS = r'''
import ast as _ast
try:
    _tree = _ast.parse(CANDIDATE, "<candidate>")
except SyntaxError as exc:
    _verdict(False, stage="parse", error="the code does not parse: " + _short_tb(exc))
_api_ns = {"__name__": "api"}
exec(STUB, _api_ns)
_API = sorted(k for k, v in _api_ns.items() if callable(v) and not k.startswith("_"))
for _node in _ast.walk(_tree):
    if isinstance(_node, (_ast.Import, _ast.ImportFrom)):
        _mods = [a.name for a in _node.names] if isinstance(_node, _ast.Import) else [_node.module or ""]
        _bad = [m for m in _mods if m.split(".")[0] != "numpy"]
        if _bad:
            _verdict(False, error=f"line {_node.lineno}: import of {', '.join(_bad)} is not allowed; only numpy may be imported")
    if isinstance(_node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)) and _node.name in _API:
        _verdict(False, error=f"line {_node.lineno}: do not define {_node.name}; it is part of the API, just call it")
import numpy as _np
_ns = dict(_api_ns, __name__="candidate", np=_np)
_ns["_llmrl_calls"] = _api_ns["_llmrl_calls"]
try:
    exec(compile(CANDIDATE, "<candidate>", "exec"), _ns)
except NameError as exc:
    _verdict(False, error=_short_tb(exc) + ". Use only the API's functions: " + ", ".join(_API))
except TypeError as exc:
    _verdict(False, error=_short_tb(exc) + ". Check the function's arguments against the API: " + ", ".join(_API))
except BaseException as exc:
    _verdict(False, error="the code failed: " + _short_tb(exc))
_calls = _api_ns["_llmrl_calls"]
if not _calls:
    _verdict(False, error="the program called no API function; call the reward functions, then execute_plan(...)")
_verdict(True, calls=_calls)
'''


def build_program(candidate: str, stub_source: str) -> SandboxProgram:
    """The sandbox program checking ``candidate`` against the task's recording stub."""
    return harness(candidate, f"STUB = {stub_source!r}\n{CHECKS}")
