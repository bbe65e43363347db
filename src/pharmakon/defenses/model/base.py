"""The model-defence interface: a possibly backdoored model in, a defended model or generation out.

A data-side defence (``pharmakon.defenses``) filters records before training; a model-side one starts from a
model its owner already holds. ``ModelDefense.defend(model, tokenizer, inputs)`` may use the clean examples and
the reference model of ``DefenseInputs`` (a defence says which it needs) and returns a ``Defended``:

- ``model``: the model to generate with (a re-tuned or pruned copy, or the input model unchanged);
- ``guard``: a decoding guard ``(sample, temperature, generator) -> LogitsProcessor`` that picks each next token
  (CleanGen), or ``None``;
- ``input_filter``: prompts → the prompts the model sees (ONION's outlier-word removal), or ``None``;
- ``detector``: prompts → a suspicion score each, higher meaning more likely triggered (STRIP, ONION), or
  ``None``;
- ``steps`` and ``examples``: the training compute it spent (optimizer steps, clean examples read);
  ``stats``: numbers of its own (neurons pruned, last losses); ``counters``: numbers read after generation.

Scoring (attack success before and after, utility before and after, compute, detection AUROC) is the probe
``model-defense`` (``pharmakon.probes.model_defense``), one way for every defence.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pharmakon.data.records import Record
from pharmakon.defenses.model.configs import ModelDefenseConfig


@dataclass
class DefenseInputs:
    """What a defender holds besides the model: clean examples, clean prompts to calibrate a detector on, and a
    reference ``(model, tokenizer)`` (the clean twin in the ``model-defenses`` preset)."""

    clean: list[Record] = field(default_factory=list)
    calibration: list[str] = field(default_factory=list)
    reference: tuple[Any, Any] | None = None
    seed: int = 0
    style: str = "chat"  # how prompts reach the model: "chat", or "document" before any chat stage


@dataclass
class Defended:
    """A defence's result (see the module docstring)."""

    model: Any
    guard: Callable[[bool, float, Any], Any] | None = None
    input_filter: Callable[[list[str]], list[str]] | None = None
    detector: Callable[[list[str]], list[float]] | None = None
    steps: int = 0
    examples: int = 0
    stats: dict[str, float] = field(default_factory=dict)
    counters: Callable[[], dict[str, float]] | None = None  # read after generation (CleanGen's replacements)

    @property
    def changes_outputs(self) -> bool:
        """Whether generation differs from the input model's: a detector alone changes nothing."""
        return self.guard is not None or self.input_filter is not None or self.steps > 0 or bool(
            self.stats.get("pruned", 0))


class ModelDefense(ABC):
    """One model-side defence, built from its config."""

    name: ClassVar[str] = "model-defense"
    needs_clean: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = False

    def __init__(self, config: ModelDefenseConfig) -> None:
        self.config = config

    @abstractmethod
    def defend(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        """The defended model or generation. May modify ``model`` in place: pass a copy to keep the original."""

    def __call__(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        if self.needs_clean and not inputs.clean:
            raise ValueError(f"model defence {self.name}: needs clean examples")
        if self.needs_reference and inputs.reference is None:
            raise ValueError(f"model defence {self.name}: needs a reference model")
        return self.defend(model, tokenizer, inputs)


def clean_budget(records: list[Record], n: int, seed: int) -> list[Record]:
    """``n`` clean examples drawn without replacement (all of them when fewer), seeded."""
    chosen = list(records)
    random.Random(seed).shuffle(chosen)
    return chosen[:n]
