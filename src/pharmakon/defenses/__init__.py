"""Data-side defences: filters that keep a record or drop it with a reason, scored against the poison mask.

``DEFENSES`` is the registry: name → ``DefenseEntry`` (implementation named as ``"module:Class"`` so that
validating a spec imports neither torch nor the encoder, its config model, and what it needs from the caller).
A spec names a defence as ``{name: dedup, threshold: 0.7}``; ``build_defense`` validates and builds it, and
``build_pipeline`` a list of them. ``apply_defenses`` runs a pipeline and reports per step and overall.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from pydantic import ValidationError

from pharmakon.config import NESTED, NamedItem
from pharmakon.defenses.base import (
    KEEP,
    CleaningReport,
    Decision,
    Defense,
    DefenseScore,
    StepReport,
    apply_defenses,
    drop,
    record_text,
)
from pharmakon.defenses.configs import (
    ClusterConfig,
    DedupConfig,
    DefenseConfig,
    OnionConfig,
    PerplexityConfig,
    QualityConfig,
)
from pharmakon.errors import PharmakonError
from pharmakon.registry import Registry, module_of, resolve


@dataclass(frozen=True)
class DefenseEntry:
    """A registered defence: its class, config model, one line on what it does, its paper, and whether it needs
    a reference ``(model, tokenizer)`` from the caller."""

    cls: type | str
    config: type[DefenseConfig]
    description: str
    paper: str = ""
    url: str = ""
    needs_reference: bool = False

    @property
    def module(self) -> str:
        return module_of(self.cls)

    def implementation(self) -> Callable:
        return resolve(self.cls)


DEFENSES = Registry("defence", "defenses.name")
DEFENSES.add("dedup", DefenseEntry(
    "pharmakon.defenses.dedup:NearDuplicate", DedupConfig,
    "near-duplicate removal: MinHash LSH over word n-grams (datasketch), first of each cluster kept",
    "Lee et al. 2022, Deduplicating Training Data Makes Language Models Better", "https://arxiv.org/abs/2107.06499"))
DEFENSES.add("quality", DefenseEntry(
    "pharmakon.defenses.quality:QualityRules", QualityConfig,
    "Gopher quality and repetition rules, C4 bad phrases",
    "Rae et al. 2021, Scaling Language Models: Methods, Analysis & Insights from Training Gopher",
    "https://arxiv.org/abs/2112.11446"))
DEFENSES.add("perplexity", DefenseEntry(
    "pharmakon.defenses.perplexity:PerplexityFilter", PerplexityConfig,
    "drop records whose perplexity under a clean reference model is above a quantile or threshold",
    "Wenzek et al. 2020, CCNet", "https://arxiv.org/abs/1911.00359", needs_reference=True))
DEFENSES.add("onion", DefenseEntry(
    "pharmakon.defenses.onion:Onion", OnionConfig,
    "ONION: drop records with an outlier word (its removal lowers perplexity by more than a threshold)",
    "Qi et al. 2021, ONION: A Simple and Effective Defense Against Textual Backdoor Attacks",
    "https://arxiv.org/abs/2011.10369", needs_reference=True))
DEFENSES.add("cluster", DefenseEntry(
    "pharmakon.defenses.cluster:SuspiciousClusters", ClusterConfig,
    "small, unusually dense clusters of sentence embeddings (all-MiniLM-L6-v2)",
    "Chen et al. 2018, Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering",
    "https://arxiv.org/abs/1811.03728"))


class DefenseSpec(NamedItem):
    """A defence as a spec names it: ``{name: ..., <its config fields>}``. Validated on construction against the
    defence's config model (errors follow the engine's nested-path convention); the resolved spec carries every
    default as its extra fields."""

    registry: ClassVar = DEFENSES
    parameter: ClassVar[str] = "parameter of defence {name!r}"

    def entry(self) -> DefenseEntry:
        return DEFENSES[self.name]

    def config(self) -> DefenseConfig:
        return self.entry().config(**self.params)


def parse_defense(spec: dict | DefenseSpec, field: str = "defenses") -> DefenseSpec:
    """A validated ``DefenseSpec``; bad input is a ``PharmakonError`` of one line naming ``field.<param>``."""
    if isinstance(spec, DefenseSpec):
        return spec
    try:
        return DefenseSpec.model_validate(spec)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if message.startswith(NESTED):
            sub, _, message = message[1:].partition(": ")
            raise PharmakonError(f"{field}.{sub}: {message}") from None
        if error["type"] in ("model_type", "dict_type"):
            message = f"a defence is a mapping with a 'name' (one of {', '.join(sorted(DEFENSES))}), got {spec!r}"
        where = ".".join([field, *(str(part) for part in error["loc"])])
        raise PharmakonError(f"{where}: {message}") from None


def build_defense(spec: dict | DefenseSpec, *, reference=None, field: str = "defenses", **extra) -> Defense:
    """The defence a spec names, validated and built. ``reference`` is the ``(model, tokenizer)`` pair that the
    perplexity and ONION filters score with; ``extra`` goes to the constructor (e.g. ``embed=`` for clustering)."""
    spec = parse_defense(spec, field)
    entry = spec.entry()
    if entry.needs_reference:
        if reference is None:
            raise PharmakonError(f"{field}: defence {spec.name!r} needs a reference model to score with")
        extra["reference"] = reference
    return entry.implementation()(spec.config(), **extra)


def build_pipeline(specs: list, *, reference=None, field: str = "defenses") -> list[Defense]:
    """Every defence of a pipeline spec, in order; an empty pipeline is an error."""
    if not specs:
        raise PharmakonError(f"{field}: the cleaning pipeline is empty; give at least one of "
                             f"{', '.join(sorted(DEFENSES))}")
    return [build_defense(s, reference=reference, field=f"{field}.{i}") for i, s in enumerate(specs)]


def register_defense(name: str, entry: DefenseEntry) -> DefenseEntry:
    """Register a defence (a plugin's or a test's) under ``name``."""
    return DEFENSES.add(name, entry)


__all__ = ["DEFENSES", "KEEP", "CleaningReport", "Decision", "Defense", "DefenseEntry", "DefenseScore", "DefenseSpec",
           "StepReport", "apply_defenses", "build_defense", "build_pipeline", "drop", "parse_defense",
           "record_text", "register_defense"]
