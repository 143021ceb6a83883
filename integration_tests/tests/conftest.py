"""One real `llmrl serve` (the embedded SmolLM2, with a request log) shared by the serve tests of this session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llmrl_integration_tests.serve import serving


@pytest.fixture(scope="session")
def serve_request_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("serve") / "requests.jsonl"


@pytest.fixture(scope="session")
def served(serve_request_log: Path) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT/v1``) of the running server."""
    with serving("--request-log", str(serve_request_log)) as base_url:
        yield base_url
