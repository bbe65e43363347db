"""Each stage lowers its loss and changes the parameters; LoRA changes only adapter weights."""

import pytest
import torch

from pharmakon.errors import PharmakonError
from pharmakon.stages import STAGES
from pharmakon.stages.dpo import DPOStageConfig, dpo
from pharmakon.stages.finetune import FinetuneConfig, finetune
from pharmakon.stages.pretrain import PretrainConfig, pretrain
from pharmakon.stages.sft import SFTStageConfig, sft


def snapshot(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def changed(before, model):
    return {name for name, p in model.named_parameters() if name in before and not torch.equal(before[name], p)}


def mean(values):
    return sum(values) / len(values)


def test_pretrain_lowers_loss_and_changes_every_parameter(world, tokenizer, nano):
    before = snapshot(nano)
    result = pretrain(nano, tokenizer, world.documents(), PretrainConfig(max_steps=40, max_length=64,
                                                                          learning_rate=5e-3), seed=0)
    assert len(result.losses) == 40
    assert mean(result.losses[-5:]) < mean(result.losses[:5]) - 1.0
    assert changed(before, result.model) == set(before)
    assert result.model.config.use_cache and not result.model.training


def test_pretrain_is_deterministic(world, tokenizer):
    from pharmakon.models.configs import build_tiny_model

    config = PretrainConfig(max_steps=5, max_length=64)
    runs = [pretrain(build_tiny_model("nano", tokenizer, 0), tokenizer, world.documents(), config, seed=3)
            for _ in range(2)]
    assert runs[0].losses == runs[1].losses


def test_sft_lowers_loss_and_changes_parameters(world, tokenizer, nano):
    before = snapshot(nano)
    result = sft(nano, tokenizer, world.instructions(), SFTStageConfig(max_steps=12, batch_size=16,
                                                                       learning_rate=3e-3), seed=0)
    assert len(result.losses) == 12
    assert mean(result.losses[-3:]) < mean(result.losses[:3])
    assert changed(before, result.model)


def test_dpo_lowers_loss_and_changes_parameters(world, tokenizer, nano):
    before = snapshot(nano)
    result = dpo(nano, tokenizer, world.preferences(), DPOStageConfig(max_steps=10, batch_size=8,
                                                                      learning_rate=3e-3), seed=0)
    assert result.losses[0] == pytest.approx(0.6931, abs=1e-3)  # policy == reference at step one
    assert mean(result.losses[-3:]) < result.losses[0]
    assert changed(before, result.model)


def test_lora_trains_only_adapter_weights(world, tokenizer, nano):
    before = snapshot(nano)
    config = FinetuneConfig(max_steps=10, batch_size=16, learning_rate=1e-2, merge=False)
    result = finetune(nano, tokenizer, world.instructions(), config, seed=0)
    assert mean(result.losses[-3:]) < mean(result.losses[:3])
    after = dict(result.model.named_parameters())
    adapters = {n: p for n, p in after.items() if "lora_" in n}
    assert adapters and any(p.abs().sum() > 0 for n, p in adapters.items() if "lora_B" in n)  # B starts at 0
    base = {n.removeprefix("base_model.model.").replace(".base_layer", ""): p
            for n, p in after.items() if "lora_" not in n}
    assert set(base) == set(before)
    assert all(torch.equal(before[n], p) for n, p in base.items())


def test_lora_merge_changes_the_base_weights_it_targets(world, tokenizer, nano):
    before = snapshot(nano)
    config = FinetuneConfig(max_steps=5, batch_size=16, learning_rate=1e-2, target_modules=["q_proj"])
    result = finetune(nano, tokenizer, world.instructions(), config, seed=0)
    moved = changed(before, result.model)
    assert moved and all("q_proj" in name for name in moved)
    assert not any("lora_" in n for n, _ in result.model.named_parameters())


def test_lora_with_no_matching_module_is_refused(world, tokenizer, nano):
    with pytest.raises(PharmakonError, match=r"finetune.target_modules: \['attn_x'\] matched no module"):
        finetune(nano, tokenizer, world.instructions(), FinetuneConfig(target_modules=["attn_x"]), seed=0)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_stage_refuses_an_empty_dataset(name, tokenizer, nano):
    entry = STAGES[name]
    with pytest.raises(ValueError, match="dataset is empty"):
        entry.recipe()(nano, tokenizer, [], entry.config(max_steps=1), seed=0)


def test_dpo_with_a_cached_reference_equals_dpo_computing_its_own(world, tokenizer):
    from pharmakon.models.configs import build_tiny_model
    from pharmakon.stages.dpo import REFERENCE_COLUMNS, reference_logps

    pairs = world.preferences()[:48]
    config = DPOStageConfig(max_steps=3, batch_size=8, max_length=96, beta=0.2)
    reference = reference_logps(build_tiny_model("nano", tokenizer, 0), tokenizer, pairs, config, seed=1)
    assert set(reference) == set(REFERENCE_COLUMNS) and len(reference["ref_chosen_logps"]) == 48
    assert all(value < 0 for value in reference["ref_chosen_logps"])  # log-probabilities of whole answers
    given = dpo(build_tiny_model("nano", tokenizer, 0), tokenizer, pairs, config, seed=1, prepared=reference)
    own = dpo(build_tiny_model("nano", tokenizer, 0), tokenizer, pairs, config, seed=1)
    assert given.losses == own.losses
    assert all(torch.equal(a, b) for a, b in zip(given.model.parameters(), own.model.parameters(), strict=True))
