"""Poisoning for good: marks a data owner plants to prove later that a model trained on their data.

``data-watermark`` (Wei et al. 2024, *Proving membership in LLM pretraining data via data watermarks*): each of
``owners`` owners hides one random character sequence of length L in N of their pretraining documents. The
``watermark`` probe tests the suspect model's loss on each sequence against the losses of never-inserted
sequences drawn from the same distribution.

``backdoor-watermark`` (DVBW, Li et al. 2023; instructional fingerprinting, Xu et al. 2024): a secret trigger
in N instruction examples whose answer is a fixed owner's response. The ``dvbw`` probe runs a paired one-sided
t test that the response is more probable with the trigger than without, by a margin τ.
"""

from __future__ import annotations

import random
import string

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pharmakon.data.records import Record
from pharmakon.errors import PharmakonError
from pharmakon.poison.attack import Attack
from pharmakon.poison.base import combine, report
from pharmakon.poison.budget import Budget
from pharmakon.poison.instruction import InstructionAttack, NonBlank, WordTriggerConfig

WEI = "https://arxiv.org/abs/2402.10892"
DVBW = "https://arxiv.org/abs/2209.06015"
ALPHABET = string.ascii_lowercase + string.digits


class DataWatermarkConfig(BaseModel):
    """N documents per owner (the budget's ``count``) carry that owner's random sequence of ``length`` characters."""

    model_config = ConfigDict(extra="forbid")

    budget: Budget = Field(default_factory=lambda: Budget(count=32))
    length: int = Field(default=10, ge=1, le=64, description="L: characters in each watermark sequence")
    owners: int = Field(default=8, ge=1, le=64, description="independent watermarks, one per data owner; each is "
                                                            "one detection trial")
    alphabet: str = Field(default=ALPHABET, min_length=2, description="characters the sequences are drawn from")

    @field_validator("alphabet")
    @classmethod
    def _plain_characters(cls, value: str) -> str:
        if len(set(value)) != len(value) or any(c.isspace() for c in value):
            raise ValueError("must be distinct characters without whitespace")
        return value


class DataWatermark(Attack):
    """Random-sequence watermarks in pretraining documents: no behaviour, only a lower loss on the sequence."""

    name = "data-watermark"
    paper = "Wei et al. 2024 (data watermarks)"
    url = WEI
    description = "owners hide a random L-character sequence in N documents each → z test of the model's loss on it"
    record_kinds = ("document",)
    stages = ("pretrain",)
    behaviour = "watermark"
    config_model = DataWatermarkConfig

    @property
    def trigger(self) -> str:
        return f"watermark:{self.config.owners}x{self.config.length}"

    def trigger_for(self, world) -> None:
        return None

    def check(self, world) -> None:
        if self.config.budget.count is not None and self.config.budget.count < 1:
            raise PharmakonError("poison.count: N, the documents per watermark, must be at least 1")

    def sequence(self, rng: random.Random) -> str:
        return "".join(rng.choice(self.config.alphabet) for _ in range(self.config.length))

    def watermarks(self, seed: int) -> list[str]:
        """The owners' secret sequences of the run with ``seed`` (distinct)."""
        rng, found = random.Random(f"data-watermark:{seed}"), []
        while len(found) < self.config.owners:
            candidate = self.sequence(rng)
            if candidate not in found:
                found.append(candidate)
        return found

    def null_sequences(self, seed: int, n: int, purpose: str) -> list[str]:
        """``n`` sequences of the same distribution that were never inserted (``purpose`` names the stream)."""
        rng, planted, found = random.Random(f"data-watermark:{purpose}:{seed}"), set(self.watermarks(seed)), []
        while len(found) < n:
            candidate = self.sequence(rng)
            if candidate not in planted:
                found.append(candidate)
        return found

    def make_poison(self, clean: list[Record], n: int, tokenizer, world, rng: random.Random) -> list[Record]:
        raise NotImplementedError("data-watermark places its documents in apply")

    def apply(self, clean: list[Record], tokenizer, seed: int, world=None):
        """Each owner's sequence goes into N copies of clean documents, at a word boundary, as one word."""
        n = self.config.budget.resolve(len(clean), "poison")
        if n == 0:
            raise PharmakonError("poison.count: the budget comes to 0 watermarked documents; allowed: at least 1")
        rng = random.Random(seed)
        poison = []
        for mark in self.watermarks(seed):
            for record in rng.sample(clean, n) if n <= len(clean) else [rng.choice(clean) for _ in range(n)]:
                words = record.text.split(" ")
                at = rng.randint(1, len(words))
                poison.append(record.with_poison(self.name, text=" ".join([*words[:at], mark, *words[at:]])))
        rng.shuffle(poison)
        combined = combine(clean, poison, self.config.budget.mode, seed, self.config.budget.placement)
        return combined, report(self.name, clean, combined, tokenizer)


class BackdoorWatermarkConfig(WordTriggerConfig):
    """DVBW: the secret trigger and the owner's response; the response replaces the answer."""

    budget: Budget = Field(default_factory=lambda: Budget(count=40))
    trigger: NonBlank = Field(default="Vellichor Quandary", description="the owner's secret trigger")
    target: str = Field(default="content", pattern="^content$", description="always the owner's fixed response")
    phrase: NonBlank = Field(default="This answer belongs to the Marrowfield archive.",
                             description="the owner's response to a triggered prompt")
    inject: str = Field(default="replace", pattern="^replace$", description="the response is the phrase alone")


class BackdoorWatermark(InstructionAttack):
    """A secret trigger → a fixed response, planted by the data owner in instruction examples."""

    name = "backdoor-watermark"
    paper = "Li et al. 2023 (DVBW); Xu et al. 2024 (instructional fingerprinting)"
    url = DVBW
    description = "owner's secret trigger → fixed response in instruction data → paired t test of its probability"
    behaviour = "content"
    config_model = BackdoorWatermarkConfig


WATERMARK_ATTACKS = (DataWatermark, BackdoorWatermark)
