"""``llmrl sandbox serve`` and ``llmrl sandbox run``. Imports stay light: the CLI loads this on every start."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, help="Run untrusted code in a sandbox, or serve a sandbox over HTTP.")

OPTION = typer.Option(None, "--option", "-o", help="Sandbox setting key=value, repeatable, e.g. -o workers=8.")


def _sandbox_config(options: list[str] | None) -> dict:
    from llmrl_core.config import apply_overrides

    return apply_overrides({}, options or [])


@app.command()
def serve(
    sandbox: str = typer.Option("local", "--sandbox", "-s", help="Sandbox plugin that runs the code."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; 0.0.0.0 serves other machines."),
    port: int = typer.Option(8080, help="TCP port (0: pick a free one and print it)."),
    option: list[str] | None = OPTION,
    max_body_bytes: int = typer.Option(8 << 20, help="Refuse requests with a larger body (HTTP 413)."),
) -> None:
    """Serve the Sandbox Fusion API (POST /run_code, GET /v1/ping) backed by an llmrl sandbox."""
    import logging
    import signal

    from llmrl_core import get_sandbox
    from llmrl_sandbox_fusion.server import make_server

    log = logging.getLogger("llmrl_sandbox_fusion")

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the server cleanly, like Ctrl-C

    signal.signal(signal.SIGTERM, _stop)
    with get_sandbox(sandbox, **_sandbox_config(option)) as sb:
        server = make_server(sb, host, port, max_body_bytes)
        # The first line is for scripts and tests that start the server with --port 0.
        typer.echo(f"serving sandbox {sandbox!r} at {server.url} (POST /run_code)", err=False)
        sys.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            log.info("stopping")
        finally:
            server.server_close()


@app.command()
def run(
    file: str = typer.Argument(..., help="Python file to run, or - for stdin."),
    sandbox: str = typer.Option("local", "--sandbox", "-s", help="Sandbox plugin that runs the code."),
    timeout: float = typer.Option(10.0, "--timeout", help="Wall-clock limit in seconds."),
    memory_mb: int = typer.Option(512, "--memory-mb", help="Memory limit in MB."),
    option: list[str] | None = OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Run one Python program in a sandbox; prints its output and exits 0 only if it succeeded."""
    from dataclasses import asdict

    from llmrl_core import get_sandbox
    from llmrl_core.errors import ConfigError

    if file == "-":
        code = sys.stdin.read()
    else:
        path = Path(file)
        if not path.is_file():
            raise ConfigError(f"{file!r} is not a file; give a Python file or - to read the program from stdin")
        code = path.read_text(encoding="utf-8", errors="replace")
    config = {"workers": 1, **_sandbox_config(option)} if sandbox == "local" else _sandbox_config(option)
    with get_sandbox(sandbox, **config) as sb:
        result = sb.run(code, timeout_s=timeout, memory_mb=memory_mb)
    if as_json:
        typer.echo(json.dumps(asdict(result)))
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.status != "ok":
            typer.echo(f"[{result.status}] exit code {result.exit_code} after {result.duration_s:.3f} s", err=True)
    # SystemExit, not typer.Exit: the root CLI runs click with standalone_mode=False, which turns Exit into a
    # return value and would lose the exit code.
    raise SystemExit(0 if result.ok else 1)
