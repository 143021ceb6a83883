"""The cuda backend's settings (pydantic only: imported when plugins are listed)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CudaBackendConfig(BaseModel):
    """Settings of ``get_backend("cuda", ...)``."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(0, ge=0, description="Which visible GPU (cuda:INDEX).")
