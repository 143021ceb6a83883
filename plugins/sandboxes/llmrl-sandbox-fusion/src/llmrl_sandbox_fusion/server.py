"""A Sandbox Fusion-compatible HTTP server backed by any llmrl sandbox (``llmrl sandbox serve``).

The self-hosted endpoint for training across machines. Standard library only: one thread
per connection, each blocking on the sandbox, whose worker pool bounds the parallelism.
"""

from __future__ import annotations

import json
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llmrl_core import ExecResult, Sandbox
from llmrl_sandbox_fusion.protocol import BadRequest, parse_request, result_to_response

log = logging.getLogger(__name__)
DEFAULT_MAX_BODY_BYTES = 8 << 20


class FusionServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.sandbox = sandbox
        self.max_body_bytes = max_body_bytes
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


SERVER_NAME = "llmrl-sandbox"


class _Handler(BaseHTTPRequestHandler):
    server: FusionServer
    protocol_version = "HTTP/1.1"
    server_version = SERVER_NAME  # lets our client know it may send memory_limit_MB

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s " + fmt, self.client_address[0], *args)

    def _send(self, code: int, payload: Any, content_type: str = "application/json") -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _refuse(self, code: int, message: str) -> None:
        self._send(code, {"status": "SandboxError", "message": message, "run_result": None,
                          "compile_result": None, "executor_pod_name": None, "files": {}, "llmrl_status": "error"})

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path in ("/v1/ping", "/ping"):
            self._send(200, b"pong", "text/plain")
        else:
            self._refuse(404, f"no such endpoint {self.path!r}; use POST /run_code or GET /v1/ping")

    def do_POST(self) -> None:  # noqa: N802
        if self.path not in ("/run_code", "/v1/run_code"):
            self._refuse(404, f"no such endpoint {self.path!r}; use POST /run_code")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.max_body_bytes:
            self.close_connection = True
            if length <= 8 * self.server.max_body_bytes:  # drain it, so the client reads our answer, not a reset
                left = length
                while left > 0 and (chunk := self.rfile.read(min(1 << 16, left))):
                    left -= len(chunk)
            self._refuse(413, f"request refused: the body is {length} bytes, over this server's bound of "
                              f"{self.server.max_body_bytes} bytes (llmrl sandbox serve --max-body-bytes)")
            return
        try:
            body = json.loads(self.rfile.read(length) or b"null")
            code, timeout_s, memory_mb, files = parse_request(body)
        except json.JSONDecodeError as exc:
            self._refuse(400, f"request refused: the body is not JSON ({exc})")
            return
        except BadRequest as exc:
            self._refuse(400, f"request refused: {exc}")
            return
        start = time.monotonic()
        try:
            result = self.server.sandbox.run(code, timeout_s=timeout_s, memory_mb=memory_mb, files=files or None)
        except Exception as exc:  # noqa: BLE001 - reported to the client with its cause, never swallowed
            log.exception("sandbox failed on a request")
            result = ExecResult("", f"{type(exc).__name__}: {exc}", None, "sandbox_error", time.monotonic() - start)
        self._send(200, result_to_response(result))


def make_server(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8080,
                max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FusionServer:
    """Bind (``port=0`` picks a free port; see ``server.url``); call ``serve_forever()`` to serve."""
    return FusionServer((host, port), sandbox, max_body_bytes)
