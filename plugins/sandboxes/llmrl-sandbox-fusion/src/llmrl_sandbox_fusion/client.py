"""The ``fusion`` sandbox: a client for any Sandbox Fusion ``/run_code`` endpoint.

Every failure comes back as a ``sandbox_error`` result whose stderr names the cause (HTTP
status and body, connection error, bad JSON) and is counted in ``failures``: ToRL's public
runs lost 61.7% of executions to an unreported "UnknownError", which must not happen here.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from llmrl_core import ConfigError, ExecResult, Sandbox
from llmrl_sandbox_fusion.config import ENDPOINT_ENV, FusionSandboxConfig
from llmrl_sandbox_fusion.protocol import build_request, response_to_result

log = logging.getLogger(__name__)


class FusionSandbox(Sandbox):
    """Runs code on a Sandbox Fusion server (or ``llmrl sandbox serve``)."""

    name = "fusion"

    def __init__(self, **config: Any):
        self.config = FusionSandboxConfig.model_validate(config)
        endpoint = self.config.endpoint or os.environ.get(ENDPOINT_ENV) or "http://127.0.0.1:8080"
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"fusion endpoint {endpoint!r} is not an http(s) URL; set endpoint= or "
                              f"{ENDPOINT_ENV} to e.g. http://127.0.0.1:8080")
        self.endpoint = endpoint.rstrip("/")
        self._parts = parts
        self._slots = threading.BoundedSemaphore(self.config.max_concurrency)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._send_memory = self.config.send_memory_limit
        self.failures: Counter[str] = Counter()
        """Failed executions by cause (e.g. 'HTTP 503', 'ConnectionRefusedError'); never silently dropped."""

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._parts.scheme == "https" else http.client.HTTPConnection
            conn = cls(self._parts.hostname, self._parts.port, timeout=timeout)
            self._local.conn = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def _post(self, body: bytes, timeout: float) -> tuple[int, bytes]:
        conn = self._connection(timeout)
        path = (self._parts.path.rstrip("/") or "") + "/run_code"
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        except BaseException:
            self._drop_connection()
            raise

    def _fail(self, cause: str, detail: str, start: float) -> ExecResult:
        with self._lock:
            self.failures[cause] += 1
        log.warning("fusion execution failed at %s: %s", self.endpoint, detail)
        return ExecResult("", f"sandbox error: {detail}", None, "sandbox_error", time.monotonic() - start)

    def run(self, code: str, *, timeout_s: float = 10.0, memory_mb: int = 512,
            files: dict[str, bytes] | None = None) -> ExecResult:
        start = time.monotonic()
        if self._send_memory is None:
            self._send_memory = self._is_llmrl_server()
        body = json.dumps(build_request(code, timeout_s=timeout_s, files=files,
                                        memory_mb=memory_mb if self._send_memory else None)).encode()
        timeout = timeout_s + self.config.request_slack_s
        last = ""
        with self._slots:
            for attempt in range(self.config.retries + 1):
                if attempt:
                    time.sleep(self.config.retry_backoff_s * 2 ** (attempt - 1))
                try:
                    status, payload = self._post(body, timeout)
                except (OSError, http.client.HTTPException) as exc:
                    cause = type(exc).__name__
                    last = f"{cause}: {exc}"
                    continue
                if status >= 500:
                    cause, last = f"HTTP {status}", f"HTTP {status} from {self.endpoint}: {payload[:500]!r}"
                    continue
                try:
                    response = json.loads(payload)
                except ValueError:
                    return self._fail("bad JSON", f"HTTP {status} from {self.endpoint} with a body that is not "
                                      f"JSON: {payload[:500]!r}", start)
                if status >= 400:
                    message = response.get("message") if isinstance(response, dict) else None
                    if isinstance(response, dict) and response.get("llmrl_status") == "error":
                        return ExecResult("", str(message), None, "error", time.monotonic() - start)
                    return self._fail(f"HTTP {status}", f"HTTP {status} from {self.endpoint}: "
                                      f"{message or payload[:500]!r}", start)
                result = response_to_result(response, time.monotonic() - start)
                if result.status == "sandbox_error":
                    with self._lock:
                        self.failures["server sandbox error"] += 1
                    log.warning("fusion server reported a sandbox error: %s", result.stderr[:300])
                return result
        hint = " Is the server running? Start one with: llmrl sandbox serve --port PORT" if "Connection" in last else ""
        return self._fail(cause, f"{self.endpoint}/run_code failed after {self.config.retries + 1} attempts: "
                          f"{last}.{hint}", start)

    def run_many(self, codes: list[str], *, timeout_s: float = 10.0, memory_mb: int = 512) -> list[ExecResult]:
        with ThreadPoolExecutor(max_workers=self.config.max_concurrency) as pool:
            return list(pool.map(lambda c: self.run(c, timeout_s=timeout_s, memory_mb=memory_mb), codes))

    def _is_llmrl_server(self) -> bool | None:
        """Whether the endpoint is `llmrl sandbox serve` (None when it cannot be reached: ask again next time)."""
        try:
            conn = http.client.HTTPConnection(self._parts.hostname, self._parts.port, timeout=5)
            conn.request("GET", "/v1/ping")
            resp = conn.getresponse()
            resp.read()
            conn.close()
            return (resp.getheader("Server") or "").startswith("llmrl-sandbox")
        except (OSError, http.client.HTTPException):
            return None

    def ping(self, timeout: float = 5.0) -> bool:
        """True if the server answers ``GET /v1/ping``."""
        try:
            conn = http.client.HTTPConnection(self._parts.hostname, self._parts.port, timeout=timeout)
            conn.request("GET", "/v1/ping")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False
