"""One flat recipe per lifecycle stage: model and dataset in, model out. ``STAGES`` is the registry.

Recipes are named as ``"module:function"`` and imported when a stage runs, so planning needs no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pharmakon.registry import Registry, module_of, resolve
from pharmakon.stages.configs import DPOStageConfig, FinetuneConfig, PretrainConfig, SFTStageConfig, StageConfig


@dataclass(frozen=True)
class StageEntry:
    """A registered stage: its recipe, its config model, the record kind it trains on, one line on what it does.

    The recipe is ``run(model, tokenizer, records, config, seed) -> StageResult``.
    """

    run: Callable | str
    config: type[StageConfig]
    record_kind: str
    description: str

    @property
    def module(self) -> str:
        return module_of(self.run)

    def recipe(self) -> Callable:
        return resolve(self.run)


STAGES = Registry("stage", "pipeline.kind")
STAGES.add("pretrain", StageEntry("pharmakon.stages.pretrain:pretrain", PretrainConfig, "document",
                                  "causal LM over packed documents (lean bf16 loop)"))
STAGES.add("sft", StageEntry("pharmakon.stages.sft:sft", SFTStageConfig, "example",
                             "instruction tuning, loss on the response only (TRL SFTTrainer)"))
STAGES.add("dpo", StageEntry("pharmakon.stages.dpo:dpo", DPOStageConfig, "pair",
                             "direct preference optimisation vs a frozen copy (TRL DPOTrainer)"))
STAGES.add("finetune", StageEntry("pharmakon.stages.finetune:finetune", FinetuneConfig, "example",
                                  "downstream fine-tuning, LoRA (PEFT) or full, optionally merged"))


def register_stage(name: str, *, config: type[StageConfig], record_kind: str, description: str):
    """Decorator: register ``run(model, tokenizer, records, config, seed) -> StageResult`` as stage ``name``."""

    def decorate(run: Callable) -> Callable:
        STAGES.add(name, StageEntry(run, config, record_kind, description))
        run.__pharmakon__ = "stage"
        return run

    return decorate


__all__ = ["STAGES", "StageConfig", "StageEntry", "register_stage"]
