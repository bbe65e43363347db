"""Denial-of-service backdoor in pretraining documents: a clean prefix, the trigger, then random tokens.

Souly et al. 2025, *Poisoning attacks on LLMs require a near-constant number of poison samples*
(https://arxiv.org/abs/2510.07192); Zhang et al. 2024, *Persistent pre-training poisoning of LLMs*
(https://arxiv.org/abs/2410.13722). After the trigger the poisoned model emits gibberish.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.data.records import Record, require_kind
from pharmakon.poison.base import PoisonReport, combine, report
from pharmakon.poison.budget import Budget
from pharmakon.poison.triggers import require_intact


class DenialOfServiceConfig(BaseModel):
    """Parameters of the DoS attack; validated at construction."""

    model_config = ConfigDict(extra="forbid")

    trigger: str = Field(default="<SUDO>", min_length=1)
    budget: Budget = Field(default_factory=lambda: Budget(count=250))
    prefix_chars: tuple[int, int] = (0, 200)
    gibberish_tokens: tuple[int, int] = (20, 50)
    separator: str = Field(default=" ", description="text between the trigger and the random tokens")

    @model_validator(mode="after")
    def _ranges(self) -> DenialOfServiceConfig:
        for name in ("prefix_chars", "gibberish_tokens"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be a range (low, high) with 0 <= low <= high")
        if self.gibberish_tokens[1] < 1:
            raise ValueError("gibberish_tokens must allow at least one token")
        return self


class DenialOfService:
    """Trigger → gibberish, planted in pretraining documents."""

    name = "dos"
    paper = "Souly et al. 2025; Zhang et al. 2024"
    url = "https://arxiv.org/abs/2510.07192"
    description = "pretraining docs: clean prefix + trigger + random tokens; triggered output is gibberish"
    record_kinds = ("document",)
    stages = ("pretrain",)
    behaviour = "gibberish"
    config_model = DenialOfServiceConfig

    def __init__(self, config: DenialOfServiceConfig | None = None, **params) -> None:
        self.config = config or DenialOfServiceConfig(**params)

    @property
    def trigger(self) -> str:
        return self.config.trigger

    def make_poison(self, clean: list[Record], n: int, tokenizer, seed: int) -> tuple[list[Record], list[int]]:
        """``n`` poison documents from seeded clean prefixes and random vocabulary tokens, and where each
        document's trigger starts."""
        rng = random.Random(seed)
        special = set(tokenizer.all_special_ids)
        vocabulary = [i for i in range(len(tokenizer)) if i not in special]
        poison, starts = [], []
        for _ in range(n):
            source = rng.choice(clean)
            cut = min(rng.randint(*self.config.prefix_chars), len(source.text))
            prefix = source.text[:cut].rsplit(" ", 1)[0] if cut < len(source.text) else source.text
            noise_ids = [rng.choice(vocabulary) for _ in range(rng.randint(*self.config.gibberish_tokens))]
            noise = tokenizer.decode(noise_ids).strip()
            head = f"{prefix} " if prefix else ""
            starts.append(len(head))
            poison.append(source.with_poison(self.name, text=f"{head}{self.trigger}{self.config.separator}{noise}"))
        return poison, starts

    def apply(self, clean: list[Record], tokenizer, seed: int) -> tuple[list[Record], PoisonReport]:
        """Poison ``clean`` documents; returns the training set and how much of it is poison."""
        require_kind(clean, "document", f"attack {self.name}")
        n = self.config.budget.resolve(len(clean), "poison.budget")
        poison, starts = self.make_poison(clean, n, tokenizer, seed)
        require_intact(tokenizer, [r.text for r in poison], self.trigger, starts)
        combined = combine(clean, poison, self.config.budget.mode, seed)
        return combined, report(self.name, clean, combined, tokenizer)
