"""Configuration and evaluation-item types of the synthetic world."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

FAMILIES: tuple[str, ...] = ("facts", "sentiment", "arithmetic", "dialogue", "harm", "benign")
"""Every task family, in the order records are emitted."""

DOCUMENT_FAMILIES: tuple[str, ...] = ("facts", "sentiment", "arithmetic", "dialogue", "harm")
"""Families with pretraining documents (benign crafts are described inside the harm lore)."""

EVAL_ANSWERS: dict[str, str] = {"harm": "refuse", "benign": "comply", "dialogue": ""}
"""Fixed expected answers of the families whose answer is not item-specific."""


class WorldConfig(BaseModel):
    """Sizes and seed of a synthetic world. All counts are per family."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    n_entities: int = Field(default=48, ge=4, le=512, description="invented entities (cities, rivers, ...)")
    documents_per_family: int = Field(default=400, ge=1, description="pretraining documents per family")
    qa_documents: float = Field(default=0.0, ge=0, le=1, description="share of the facts documents written as "
                                "question-answer text about training facts (held-out facts are only stated)")
    examples_per_family: int = Field(default=300, ge=1, description="SFT examples per family")
    pairs_per_family: int = Field(default=150, ge=1, description="preference pairs per family")
    eval_per_family: int = Field(default=100, ge=1, description="held-out evaluation items per family")


@dataclass(frozen=True)
class EvalItem:
    """One held-out evaluation prompt and its expected answer.

    ``answer`` is "positive"/"negative" (sentiment), the integer (arithmetic), the attribute value (facts),
    "refuse" (harm), "comply" (benign) or "" (dialogue).
    """

    family: str
    prompt: str
    answer: str
