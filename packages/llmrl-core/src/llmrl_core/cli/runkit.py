"""The run kit: a run command is declared once, from its pydantic config model.

::

    app = typer.Typer()

    @run_command(app, "train", GRPOTrainConfig, resumable=True, headline={"reward": "reward"})
    def train(cfg: GRPOTrainConfig, ctx: RunContext) -> None:
        with ctx.progress() as report:
            result = llmrl_grpo.train(cfg, resume=ctx.resume, report=report)

The kit gives every such command the same options — ``--config FILE``, ``--set key=value``
(repeatable, dotted keys), ``--output DIR``, ``--resume`` where resuming makes sense, and one
flag per top-level scalar field whose help is the field's description — so defaults live only
in the model. Precedence: model defaults < ``--config`` < flags < ``--set``. With ``--resume``
the run's saved ``config.yaml`` wins and only what this command line gives explicitly changes
it (``llmrl_core.runs.prepare_run`` says which). Extra parameters of the decorated function
(after ``cfg`` and ``ctx``) become options too, for things that are not config (``--json``).
"""

from __future__ import annotations

import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import typer
from pydantic import BaseModel, ValidationError

from llmrl_core.cli.progress import Headline, ProgressDisplay
from llmrl_core.config import apply_overrides, format_validation_error, read_config_file
from llmrl_core.errors import ConfigError
from llmrl_core.runs import RunDir, merge_nested

_SCALARS = (str, int, float, bool, Path)
_RESERVED = {"config", "set_", "output", "resume", "ctx", "cfg"}


@dataclass
class RunContext:
    """What a run command gets besides its config: the run directory, ``--resume``, the display."""

    run: RunDir
    resume: bool
    title: str
    headline: Headline = field(default_factory=dict)
    eval_keys: Headline | None = None

    def progress(self, **kwargs: Any) -> ProgressDisplay:
        """The console reporter for this run (a context manager; pass it as ``report=``).

        Under torchrun/accelerate only rank 0 draws; the other ranks get a display that prints nothing.
        """
        if not self.run.writer:
            kwargs["quiet"] = True
        return ProgressDisplay(self.title, kwargs.pop("headline", self.headline),
                               kwargs.pop("eval_keys", self.eval_keys), **kwargs)

    def print_result(self, evals: Mapping[str, dict[str, Any]] | None = None, *, title: str = "held-out evaluation",
                     percent: Sequence[str] = ()) -> None:
        """After the run: the ``eval_keys`` before and after (labels in ``percent`` as %), then the run directory."""
        if not self.run.writer:  # one rank prints
            return
        from llmrl_core.cli.output import console
        from llmrl_core.cli.progress import before_after_lines

        evals = evals or {}
        lines = before_after_lines(evals.get("before"), evals.get("after"), self.eval_keys or {}, tuple(percent))
        if lines:
            console.print(f"[bold]{title}[/]")
            for line in lines:
                console.print(line, highlight=False)
        if self.run.root.is_dir():
            files = ", ".join(sorted(p.name + ("/" if p.is_dir() else "") for p in self.run.root.iterdir()))
            console.print(f"run directory: {self.run.root} ({files})", highlight=False)


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``; other unions stay as they are."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _flag_type(annotation: Any) -> Any | None:
    """The CLI type of a field, or None when it is only settable with ``--set`` (models, lists, dicts)."""
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is Literal:
        values = typing.get_args(annotation)
        if all(isinstance(v, str) for v in values):
            return enum.Enum("Choice", {v: v for v in values}, type=str)
        kinds = {type(v) for v in values}
        return kinds.pop() if len(kinds) == 1 and next(iter(kinds)) in _SCALARS else None
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    return annotation if annotation in _SCALARS else None


def _field(model: type[BaseModel], dotted: str):
    node: Any = model
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = _unwrap(node.model_fields[part].annotation)
    return node.model_fields[leaf]


def _help(info: Any) -> str:
    text = (info.description or "").strip()
    if info.is_required():
        return text
    default = info.get_default(call_default_factory=True)
    if isinstance(default, enum.Enum):
        default = default.value
    if not isinstance(default, BaseModel):
        text += f" [default: {default!r}]" if isinstance(default, str) else f" [default: {default}]"
    return text.strip()


def _option_names(name: str, kind: Any) -> tuple[str, ...]:
    flag = "--" + name.replace("_", "-").replace(".", "-")
    return (f"{flag}/--no-{flag[2:]}",) if kind is bool else (flag,)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def build_config(model: type[BaseModel], config_file: Path | None, values: Mapping[str, Any],
                 overrides: Sequence[str], *, resume_from: RunDir | None = None) -> BaseModel:
    """Defaults < file < flags < ``--set``; on resume the saved config is the base.

    Without a saved config the model is built from the user's values only, so its
    ``model_fields_set`` is what this command line gave (what a later ``--resume`` may change).
    """
    data: dict[str, Any] = read_config_file(config_file) if config_file is not None else {}
    data.pop("run_info", None)  # a run's own config.yaml can be reused as --config
    data = apply_overrides(data, {k: _plain(v) for k, v in values.items() if v is not None})
    data = apply_overrides(data, list(overrides))
    where = f"config {str(config_file)!r} and options" if config_file else "options"
    saved = resume_from.read_config() if resume_from is not None else None
    if saved is not None:
        data = merge_nested(saved, data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, where)) from None


def run_command(app: typer.Typer | None, name: str, model: type[BaseModel], *, resumable: bool = False,
                resume_from_saved_config: bool = True, flags: Sequence[str] | None = None,
                aliases: Mapping[str, str] | None = None,
                arguments: Sequence[str] = (), headline: Headline | None = None, eval_keys: Headline | None = None,
                help: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(cfg, ctx, **extra)`` as the command ``name`` of ``app``, with options from ``model``.

    With ``app=None`` the decorator returns the generated command function itself, for a
    single-command ``CommandSpec`` (``llmrl l2r "INSTRUCTION"``).

    ``flags``: the top-level fields that get a flag (default: every scalar field);
    ``aliases``: extra flags for nested fields, ``{"max-tool-calls": "tools.max_tool_calls"}``;
    ``arguments``: fields taken as positional arguments (a ``list[str]`` field takes several).
    ``resume_from_saved_config=False``: ``--resume`` does not read ``config.yaml`` into ``model``, for a
    command whose model is not the run's config (``llmrl ad train`` continues one model of a run).
    The model must have an ``output`` field: ``--output`` sets it; ``{time}`` in it becomes the
    start time (``runs/mpc/{time}``: a new directory per run, for commands that do not resume).
    """
    if "output" not in model.model_fields:
        raise TypeError(f"{model.__name__} has no `output` field; a run command needs one for --output")
    fields = [f for f in (flags if flags is not None else model.model_fields) if f != "output" and f not in arguments]
    spec: dict[str, tuple[str, Any]] = {}  # python parameter -> (dotted field, click type)
    params: list[inspect.Parameter] = []
    for dotted in arguments:
        info = model.model_fields[dotted]
        kind = _unwrap(info.annotation)
        many = typing.get_origin(kind) is list
        param_type = list[str] if many else (_flag_type(kind) or str)
        default = typer.Argument(... if info.is_required() else None, help=_help(info), show_default=False,
                                 metavar=dotted.upper().rstrip("S") if many else dotted.upper())
        params.append(inspect.Parameter(dotted, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default,
                                        annotation=param_type if info.is_required() else param_type | None))
        spec[dotted] = (dotted, param_type)
    for dotted in [*fields, *(aliases or {}).values()]:
        info = _field(model, dotted)
        kind = _flag_type(info.annotation)
        if kind is None:
            if flags is not None and dotted in flags:
                raise TypeError(f"{model.__name__}.{dotted} is not a scalar; it can only be set with --set")
            continue
        flag_name = next((a for a, d in (aliases or {}).items() if d == dotted), dotted)
        pname = "f_" + dotted.replace(".", "__")
        params.append(inspect.Parameter(pname, inspect.Parameter.KEYWORD_ONLY, annotation=kind | None,
                                        default=typer.Option(None, *_option_names(flag_name, kind), help=_help(info),
                                                             show_default=False)))
        spec[pname] = (dotted, kind)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        extra = [p.replace(annotation=_resolved(p.annotation, fn))
                 for p in list(inspect.signature(fn).parameters.values())[2:]]
        clash = _RESERVED & {p.name for p in extra}
        if clash:
            raise TypeError(f"{fn.__name__}: parameter names {sorted(clash)} are the run kit's own")
        kit = [
            inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, annotation=Path | None,
                              default=typer.Option(None, "--config", metavar="FILE",
                                                   help=f"YAML/TOML/JSON file of {model.__name__} fields.")),
            inspect.Parameter("set_", inspect.Parameter.KEYWORD_ONLY, annotation=list[str],
                              default=typer.Option([], "--set", metavar="KEY=VALUE", help="Set any field, dotted keys for nested ones: "
                                                   "--set a.b=value (repeatable; values parsed as YAML).")),
            inspect.Parameter("output", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
                              default=typer.Option(None, "--output", metavar="DIR", help=_help(model.model_fields["output"]),
                                                   show_default=False)),
        ]
        if resumable:
            kit.append(inspect.Parameter(
                "resume", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                default=typer.Option(False, "--resume", help=(
                    "Continue the run in --output from its last checkpoint: its saved config wins; only options "
                    "given on this command line change it." if resume_from_saved_config else
                    "Continue this model from its last checkpoint in --output: the settings it was trained with "
                    "win; only options given on this command line change them."))))
        positional = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        keyword = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
        extra_kw = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in extra]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            values = {spec[k][0]: kwargs.pop(k) for k in list(kwargs) if k in spec}
            config, overrides, output = kwargs.pop("config"), kwargs.pop("set_"), kwargs.pop("output")
            resume = kwargs.pop("resume", False)
            if output is not None:
                values["output"] = output
            out_dir = output or _peek_output(model, config, overrides)
            run = RunDir(out_dir)
            cfg = build_config(model, config, values, overrides,
                               resume_from=run if resume and resume_from_saved_config else None)
            if "{time}" in cfg.output:  # a default such as "runs/mpc/{time}": a new directory per run
                import time

                cfg = cfg.model_copy(update={"output": cfg.output.replace("{time}", time.strftime("%Y%m%d-%H%M%S"))})
            from llmrl_core.cli.quiet import silence_known_warnings

            silence_known_warnings()
            ctx = RunContext(run=RunDir(cfg.output), resume=resume, title=name, headline=headline or {},
                             eval_keys=eval_keys)
            return fn(cfg, ctx, **kwargs)

        command.__signature__ = inspect.Signature([*positional, *kit, *keyword, *extra_kw])  # type: ignore[attr-defined]
        command.__annotations__ = {}
        command.__doc__ = help or inspect.getdoc(fn)
        if app is None:
            return command
        app.command(name, help=command.__doc__)(command)
        return fn

    return decorate


def _resolved(annotation: Any, fn: Callable[..., Any]) -> Any:
    """A string annotation (``from __future__ import annotations``) evaluated in ``fn``'s module."""
    if isinstance(annotation, str):
        return eval(annotation, fn.__globals__)  # noqa: S307 - the command's own source annotation
    return annotation


def _peek_output(model: type[BaseModel], config: Path | None, overrides: Sequence[str]) -> str:
    """Where the run goes before the config is validated (needed to find a saved config on --resume)."""
    data: dict[str, Any] = read_config_file(config) if config is not None else {}
    data = apply_overrides(data, list(overrides))
    if "output" in data:
        return str(data["output"])
    return str(model.model_fields["output"].get_default(call_default_factory=True))
