"""Model-side defences: a possibly backdoored model in, a defended model or generation out.

``MODEL_DEFENSES`` is the registry: name → ``ModelDefenseEntry`` (implementation named as ``"module:Class"`` so
that validating a spec imports no torch). A spec names one as ``{name: fine-pruning, fraction: 0.3}``;
``parse_model_defense`` validates it and ``build_model_defense`` builds it. Scoring is the ``model-defense`` probe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import ValidationError

from pharmakon.config import NESTED, NamedItem
from pharmakon.defenses.model.configs import (
    CleanGenConfig,
    CrowConfig,
    FinePruningConfig,
    ModelDefenseConfig,
    OnionFilterConfig,
    RetuneConfig,
    StripConfig,
)
from pharmakon.errors import PharmakonError
from pharmakon.registry import Registry, module_of, resolve


@dataclass(frozen=True)
class ModelDefenseEntry:
    """A registered model defence: its class, config model, one line on what it does, its paper."""

    cls: type | str
    config: type[ModelDefenseConfig]
    description: str
    paper: str = ""
    url: str = ""

    @property
    def module(self) -> str:
        return module_of(self.cls)

    def implementation(self) -> Callable:
        return resolve(self.cls)


MODEL_DEFENSES = Registry("model defence", "defense.name")
MODEL_DEFENSES.add("retune", ModelDefenseEntry(
    "pharmakon.defenses.model.retune:CleanRetuning", RetuneConfig,
    "clean re-tuning: fine-tune the suspect model on a budget of clean examples",
    "Qi et al. 2023, Fine-tuning Aligned Language Models Compromises Safety (tuning erodes earlier tuning)",
    "https://arxiv.org/abs/2310.03693"))
MODEL_DEFENSES.add("fine-pruning", ModelDefenseEntry(
    "pharmakon.defenses.model.retune:FinePruning", FinePruningConfig,
    "prune the MLP neurons least active on clean data, then fine-tune on it",
    "Liu et al. 2018, Fine-Pruning: Defending Against Backdooring Attacks on Deep Neural Networks",
    "https://arxiv.org/abs/1805.12185"))
MODEL_DEFENSES.add("crow", ModelDefenseEntry(
    "pharmakon.defenses.model.crow:Crow", CrowConfig,
    "short clean fine-tuning with layer-to-layer consistency under FGSM-perturbed embeddings",
    "Min et al. 2025, CROW: Eliminating Backdoors from LLMs via Internal Consistency Regularization",
    "https://arxiv.org/abs/2411.12768"))
MODEL_DEFENSES.add("cleangen", ModelDefenseEntry(
    "pharmakon.defenses.model.cleangen:CleanGen", CleanGenConfig,
    "decoding: a token the suspect prefers far more than a reference model is the reference's instead",
    "Li et al. 2024, CleanGen: Mitigating Backdoor Attacks for Generation Tasks in LLMs",
    "https://arxiv.org/abs/2406.12257"))
MODEL_DEFENSES.add("onion-filter", ModelDefenseEntry(
    "pharmakon.defenses.model.input_filters:OnionFilter", OnionFilterConfig,
    "inference: remove a prompt's outlier words (reference-model perplexity) before generation",
    "Qi et al. 2021, ONION: A Simple and Effective Defense Against Textual Backdoor Attacks",
    "https://arxiv.org/abs/2011.10369"))
MODEL_DEFENSES.add("strip", ModelDefenseEntry(
    "pharmakon.defenses.model.input_filters:Strip", StripConfig,
    "inference: detect triggered prompts by the entropy of the model's answer to perturbed copies",
    "Gao et al. 2019, STRIP: A Defence Against Trojan Attacks on Deep Neural Networks",
    "https://arxiv.org/abs/1902.06531"))


class ModelDefenseSpec(NamedItem):
    """A model defence as a spec names it: ``{name: ..., <its config fields>}``."""

    registry: ClassVar = MODEL_DEFENSES
    parameter: ClassVar[str] = "parameter of model defence {name!r}"


def parse_model_defense(spec: Any, field: str = "defense") -> tuple[str, ModelDefenseConfig]:
    """The defence's name and validated config; bad input is one line naming ``field.<param>``."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise PharmakonError(f"{field}: a model defence is a mapping with a 'name' (one of "
                             f"{', '.join(sorted(MODEL_DEFENSES))}), got {spec!r}")
    try:
        parsed = ModelDefenseSpec(**spec)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        where, _, message = message.removeprefix(NESTED).partition(": ")
        raise PharmakonError(f"{field}.{where}: {message}") from None
    return parsed.name, MODEL_DEFENSES[parsed.name].config(**(parsed.model_extra or {}))


def build_model_defense(spec: Any, field: str = "defense"):
    """The ``ModelDefense`` a spec names, validated and built."""
    name, config = parse_model_defense(spec, field)
    return MODEL_DEFENSES[name].implementation()(config)


__all__ = ["MODEL_DEFENSES", "ModelDefenseEntry", "ModelDefenseSpec", "build_model_defense", "parse_model_defense"]
