"""``llmrl sandbox serve``: beside the Sandbox Fusion wire format it speaks. Imported at every CLI start: keep it light.

``llmrl sandbox run`` (any sandbox, no wire format) is llmrl-core's; this plugin adds ``serve`` to that group.
"""

from __future__ import annotations

import sys

import typer

from llmrl_core.cli.components import SANDBOX, SANDBOX_SETTINGS, settings


def serve(
    sandbox: str = SANDBOX,
    host: str = typer.Option("127.0.0.1", help="Address to bind; 0.0.0.0 serves other machines."),
    port: int = typer.Option(8080, help="TCP port (0: pick a free one and print it)."),
    option: list[str] = SANDBOX_SETTINGS,
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
    with get_sandbox(sandbox, **settings(option)) as sb:
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
