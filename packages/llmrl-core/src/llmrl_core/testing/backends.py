"""The backend contract."""

from __future__ import annotations

import pytest

from llmrl_core.backend import Backend
from llmrl_core.registry import _build, get_backend, list_components


class BackendConformance:
    """Set ``backend_name``; the suite builds it through the registry, as users do."""

    backend_name: str = ""
    """The name your plugin's ``llmrl_backends`` hook registers."""

    @pytest.fixture
    def backend(self) -> Backend:
        comp = next((c for c in list_components("backend") if c.name == self.backend_name), None)
        assert comp is not None, (f"backend_name {self.backend_name!r} is not registered through an llmrl entry point "
                                  "(is the plugin installed?)")
        return _build("backend", self.backend_name, {}, None)  # as get_backend builds it, available here or not

    def test_identity(self, backend: Backend) -> None:
        assert backend.name == self.backend_name, f"the backend calls itself {backend.name!r}, not backend_name"
        assert isinstance(backend.priority, int)
        assert isinstance(backend.is_available(), bool)

    def test_describe_is_plain_data(self, backend: Backend) -> None:
        import json

        info = backend.describe()
        assert info["name"] == self.backend_name
        json.dumps(info)  # loggable as JSON

    def test_tensors_run_on_the_device(self, backend: Backend) -> None:
        if not backend.is_available():
            pytest.skip(f"backend {self.backend_name!r} is not available on this machine")
        import torch

        assert isinstance(backend.device, torch.device)
        assert isinstance(backend.default_dtype, torch.dtype)
        a = torch.arange(6, dtype=backend.default_dtype, device=backend.device).reshape(2, 3)
        product = (a @ a.T).float().cpu()
        assert product.tolist() == [[5.0, 14.0], [14.0, 50.0]]

    def test_registry_returns_it_by_name(self, backend: Backend) -> None:
        if not backend.is_available():
            pytest.skip(f"backend {self.backend_name!r} is not available on this machine")
        assert get_backend(self.backend_name).name == self.backend_name
