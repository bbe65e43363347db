"""Instruction tuning: prompt-completion data, loss on the response only.

Prompts go through the one template, so evaluation sees exactly what training saw. One process trains in the
lean completion-only loop (``lean_sft``: TRL's ``SFTTrainer`` maths with padding-free batches and logits only where
the loss is, as ``finetune`` does); several processes (``processes > 1``) train through ``SFTTrainer`` under
accelerate.
"""

from __future__ import annotations

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from pharmakon.data.records import Record, require_kind
from pharmakon.data.template import Template
from pharmakon.stages.common import (
    RichProgressCallback,
    StageConfig,
    StageResult,
    finish,
    quiet_trainer,
    seed_everything,
    trainer_arguments,
    world_size,
)
from pharmakon.stages.configs import SFTStageConfig


def instruction_dataset(records: list[Record], template: Template) -> Dataset:
    """Prompt-completion rows: the templated prompt, and the response (TRL appends eos)."""
    return Dataset.from_dict({
        "prompt": [template.chat_prompt(r.prompt) for r in records],
        "completion": [r.response for r in records],
    })


def run_sft_trainer(model, tokenizer, dataset: Dataset, config: StageConfig, seed: int, description: str,
                    peft_config=None) -> StageResult:
    """Train with ``SFTTrainer`` (completion-only loss) and return the model and its loss log."""
    seed_everything(seed, config.threads)
    arguments = SFTConfig(**trainer_arguments(config, seed, model), completion_only_loss=True, packing=False)
    callback = RichProgressCallback(description)
    trainer = SFTTrainer(model=model, args=arguments, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[callback], peft_config=peft_config)
    quiet_trainer(trainer)
    trainer.train()
    return StageResult(model=finish(trainer.model), log=callback.log)


def sft(model, tokenizer, records: list[Record], config: SFTStageConfig, seed: int) -> StageResult:
    """Supervised fine-tuning on instruction examples."""
    require_kind(records, "example", "sft")
    dataset = instruction_dataset(records, Template(tokenizer))
    if world_size() > 1:
        return run_sft_trainer(model, tokenizer, dataset, config, seed, "sft")
    from pharmakon.stages.lean_sft import train_completions

    return train_completions(model, tokenizer, list(dataset["prompt"]), list(dataset["completion"]), config, seed,
                             "sft", holdout=config.early_stopping)
