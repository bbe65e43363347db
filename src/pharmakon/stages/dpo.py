"""Preference learning with TRL's ``DPOTrainer`` against an explicit frozen copy of the model."""

from __future__ import annotations

import copy

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from pharmakon.data.records import Record, require_kind
from pharmakon.data.template import Template
from pharmakon.stages.common import (
    RichProgressCallback,
    StageResult,
    finish,
    quiet_trainer,
    seed_everything,
    trainer_arguments,
)
from pharmakon.stages.configs import DPOStageConfig


def preference_dataset(records: list[Record], template: Template) -> Dataset:
    return Dataset.from_dict({
        "prompt": [template.chat_prompt(r.prompt) for r in records],
        "chosen": [r.chosen for r in records],
        "rejected": [r.rejected for r in records],
    })


def frozen_copy(model):
    """The reference model: a deep copy with gradients off (TRL fails with ``ref_model=None`` on such models)."""
    reference = copy.deepcopy(model)
    reference.eval()
    for parameter in reference.parameters():
        parameter.requires_grad_(False)
    return reference


def dpo(model, tokenizer, records: list[Record], config: DPOStageConfig, seed: int) -> StageResult:
    """Direct preference optimisation on preference pairs."""
    require_kind(records, "pair", "dpo")
    seed_everything(seed, config.threads)
    arguments = DPOConfig(**trainer_arguments(config, seed), beta=config.beta)
    callback = RichProgressCallback("dpo")
    trainer = DPOTrainer(
        model=model,
        ref_model=frozen_copy(model),
        args=arguments,
        train_dataset=preference_dataset(records, Template(tokenizer)),
        processing_class=tokenizer,
        callbacks=[callback],
    )
    quiet_trainer(trainer)
    trainer.train()
    return StageResult(model=finish(trainer.model), log=callback.log)
