"""The hardware backend interface: where tensors live and in which dtype."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Backend(ABC):
    """A device that torch code can run on. Torch is imported only when asked."""

    name: str = "backend"
    priority: int = 0

    @abstractmethod
    def is_available(self) -> bool:
        """Whether this backend can run here (driver present, device visible)."""

    @property
    @abstractmethod
    def device(self) -> Any:
        """The ``torch.device`` to place models and tensors on."""

    @property
    @abstractmethod
    def default_dtype(self) -> Any:
        """The ``torch.dtype`` models should use on this device."""

    def describe(self) -> dict[str, Any]:
        """Facts for ``llmrl doctor`` and logs; subclasses add device name, memory, ..."""
        return {"name": self.name, "priority": self.priority, "available": self.is_available()}
