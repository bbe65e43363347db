"""How a MetaPoison-style attack crafts its poison (``poison.metapoison``): kept apart so a spec can name it
without importing torch."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CraftConfig(BaseModel):
    """How poison is crafted: the candidate pool and the unrolled simulation of the later stage."""

    model_config = ConfigDict(extra="forbid")

    pool: int = Field(default=3, ge=2, le=10, description="candidates drawn per poison record kept")
    downstream_steps: int = Field(default=3, ge=1, le=20, description="unrolled steps of the later stage")
    # plain SGD at a victim's AdamW rate (1e-3) hardly moves a model in a few steps; the simulation's own rates
    # are set so that the unrolled steps move it (a choice, not a fit to the victim)
    learning_rate: float = Field(default=0.05, gt=0, le=1.0, description="the poison step's SGD rate")
    downstream_learning_rate: float = Field(default=0.05, gt=0, le=1.0, description="the unrolled SGD rate")
    batch_size: int = Field(default=16, ge=1, le=256, description="downstream examples per unrolled step")
    max_length: int = Field(default=128, ge=8, le=1024, description="tokens per text in the simulation")
