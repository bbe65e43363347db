"""Preference learning with TRL's ``DPOTrainer``; the reference is the input model, scored once per pair."""

from __future__ import annotations

import torch
from datasets import Dataset
from torch.utils.data import DataLoader
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


REFERENCE_COLUMNS = ("ref_chosen_logps", "ref_rejected_logps")
# What the reference log-probs depend on besides the model and the pairs: truncation, padding, precision, threads.
REFERENCE_FIELDS = ("max_length", "batch_size", "bf16", "threads")


class _ReferenceAwareDPOTrainer(DPOTrainer):
    """A ``DPOTrainer`` whose reference log-probs come from the dataset when present, else from one no-grad pass.

    TRL's own precompute also caches its result in a file keyed by a dataset fingerprint and a model hash; here
    the engine's cache does that job, so the pass is computed afresh every time it is asked for.
    """

    def __init__(self, *args, reference: dict[str, list[float]] | None = None, **kwargs) -> None:
        self._reference = reference  # read by _precompute_ref_logps, which the parent calls from __init__
        super().__init__(*args, **kwargs)

    def _precompute_ref_logps(self, dataset: Dataset, name: str, batch_size: int) -> Dataset:
        if self._reference is not None:  # computed by the reference node on the same (tokenised, filtered) pairs
            if len(self._reference[REFERENCE_COLUMNS[0]]) != len(dataset):
                raise ValueError(f"reference log-probs for {len(self._reference[REFERENCE_COLUMNS[0]])} pairs, "
                                 f"dataset of {len(dataset)}")
            for column in REFERENCE_COLUMNS:
                dataset = dataset.add_column(column, list(self._reference[column]))
            return dataset
        loader = DataLoader(dataset, batch_size=batch_size, collate_fn=self.data_collator, shuffle=False)
        model = self.ref_model or self.model
        model.eval()
        chosen, rejected = [], []
        for batch in loader:
            batch_chosen, batch_rejected = self.compute_ref_log_probs(model, batch)
            chosen.append(batch_chosen.float().cpu())
            rejected.append(batch_rejected.float().cpu())
        model.train()
        dataset = dataset.add_column(REFERENCE_COLUMNS[0], torch.cat(chosen).tolist())
        return dataset.add_column(REFERENCE_COLUMNS[1], torch.cat(rejected).tolist())


def _trainer(model, tokenizer, records: list[Record], config: DPOStageConfig, seed: int,
             reference: dict[str, list[float]] | None = None, callbacks=()) -> DPOTrainer:
    """The trainer, with the reference log-probs of every pair precomputed in one no-grad pass (TRL's
    ``precompute_ref_log_probs``) or taken from ``reference``; the reference model is the input model."""
    dataset = preference_dataset(records, Template(tokenizer))
    losses = {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, config.sft_weight]} if config.sft_weight else {}
    arguments = DPOConfig(**trainer_arguments(config, seed, model), beta=config.beta, precompute_ref_log_probs=True,
                          precompute_ref_batch_size=config.batch_size, **losses)
    return _ReferenceAwareDPOTrainer(model=model, ref_model=None, args=arguments, train_dataset=dataset,
                                     processing_class=tokenizer, callbacks=list(callbacks), reference=reference)


def reference_logps(model, tokenizer, records: list[Record], config: DPOStageConfig, seed: int) -> dict:
    """The log-probs of each pair's chosen and rejected answers under ``model`` (DPO's reference).

    The engine caches them as their own node: a sweep over ``beta`` or the learning rate scores the pairs once.
    """
    require_kind(records, "pair", "dpo")
    seed_everything(seed, config.threads)
    dataset = _trainer(model, tokenizer, records, config, seed).train_dataset
    return {column: [float(x) for x in dataset[column]] for column in REFERENCE_COLUMNS}


def dpo(model, tokenizer, records: list[Record], config: DPOStageConfig, seed: int,
        prepared: dict | None = None) -> StageResult:
    """Direct preference optimisation on preference pairs (``prepared``: reference log-probs, if computed)."""
    require_kind(records, "pair", "dpo")
    seed_everything(seed, config.threads)
    callback = RichProgressCallback("dpo")
    trainer = _trainer(model, tokenizer, records, config, seed, prepared, [callback])
    quiet_trainer(trainer)
    trainer.train()
    return StageResult(model=finish(trainer.model), log=callback.log)
