"""SFT's early stopping: a held-out share is never trained on, its loss is scored after every epoch, and the
weights of the best epoch are the ones returned."""

from __future__ import annotations

import random

import pytest
import torch

from pharmakon.data.records import Record
from pharmakon.data.template import Template
from pharmakon.models.configs import build_tiny_model
from pharmakon.stages.configs import SFTStageConfig
from pharmakon.stages.lean_sft import heldout_loss, split_holdout, tokenise_examples
from pharmakon.stages.sft import sft


def noise_examples(world, n: int) -> list[Record]:
    """Questions answered with random words: the held-out loss falls, then rises as the noise is memorised."""
    rng, vocabulary = random.Random(0), sorted(world.lexicon())
    return [Record(kind="example", source="test", family="facts", prompt=r.prompt,
                   response=" ".join(rng.sample(vocabulary, 6))) for r in world.instructions()[:n]]


def test_early_stopping_keeps_the_epoch_with_the_lowest_heldout_loss(world, tokenizer):
    records = noise_examples(world, 48)
    config = SFTStageConfig(epochs=12, batch_size=8, learning_rate=1e-2, early_stopping=0.25)
    result = sft(build_tiny_model("nano", tokenizer, seed=0), tokenizer, records, config, seed=0)
    scored = [row for row in result.log if "eval_loss" in row]
    assert [row["epoch"] for row in scored] == list(range(1, 13))
    assert len(result.log) == 12 * 5  # 36 examples trained on (12 held out), 5 batches of 8 an epoch
    kept = [row for row in scored if row.get("kept")]
    assert len(kept) == 1 and kept[0]["eval_loss"] == min(row["eval_loss"] for row in scored)
    assert kept[0]["epoch"] < 12 and kept[0]["eval_loss"] < scored[-1]["eval_loss"]  # overfitting was cut off
    template = Template(tokenizer)
    examples = tokenise_examples(tokenizer, [template.chat_prompt(r.prompt) for r in records],
                                 [r.response for r in records], config.max_length)
    _, held = split_holdout(examples, 0.25, seed=0)
    returned = heldout_loss(result.model, held, 8, torch.device("cpu"), bf16=False)
    assert returned == pytest.approx(kept[0]["eval_loss"], abs=1e-4)  # the best epoch's weights came back


def test_early_stopping_is_refused_where_it_cannot_run():
    with pytest.raises(ValueError, match="early_stopping: runs in the one-process loop"):
        SFTStageConfig(early_stopping=0.1, processes=2, batch_size=32)
    with pytest.raises(ValueError, match="less than 1"):
        SFTStageConfig(early_stopping=1.0)
