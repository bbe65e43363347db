"""One flat recipe per lifecycle stage: model and dataset in, model out. ``STAGES`` is the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pharmakon.stages.common import StageConfig, StageResult
from pharmakon.stages.dpo import DPOStageConfig, dpo
from pharmakon.stages.finetune import FinetuneConfig, finetune
from pharmakon.stages.pretrain import PretrainConfig, pretrain
from pharmakon.stages.sft import SFTStageConfig, sft


@dataclass(frozen=True)
class StageEntry:
    """A registered stage: its recipe, its config model, the record kind it trains on, one line on what it does."""

    run: Callable[..., StageResult]
    config: type[StageConfig]
    record_kind: str
    description: str


STAGES: dict[str, StageEntry] = {
    "pretrain": StageEntry(pretrain, PretrainConfig, "document",
                           "causal LM over packed documents (lean bf16 loop)"),
    "sft": StageEntry(sft, SFTStageConfig, "example", "instruction tuning, loss on the response only (TRL SFTTrainer)"),
    "dpo": StageEntry(dpo, DPOStageConfig, "pair", "direct preference optimisation vs a frozen copy (TRL DPOTrainer)"),
    "finetune": StageEntry(finetune, FinetuneConfig, "example",
                           "downstream fine-tuning, LoRA (PEFT) or full, optionally merged"),
}

__all__ = ["STAGES", "StageConfig", "StageEntry", "StageResult"]
