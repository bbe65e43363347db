"""The probes' configs: pydantic models only, importable without torch (the engine plans from them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BackdoorProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(default=100, ge=1)
    max_new_tokens: int = Field(default=32, ge=1)
    temperature: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=128, ge=1)


class UtilityProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_per_task: int = Field(default=100, ge=1)
    n_documents: int = Field(default=100, ge=1)
    max_new_tokens: int = Field(default=48, ge=1)
    batch_size: int = Field(default=128, ge=1)


class RewardProbeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_pairs: int = Field(default=100, ge=1, description="held-out harm requests scored (refusal vs compliance)")
    batch_size: int = Field(default=64, ge=1)
