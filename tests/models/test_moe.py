"""The tiny mixture-of-experts model: counted, trained through the stages, saved and loaded, its router's
load-balancing loss part of every training loss."""

import pytest
import torch
from typer.testing import CliRunner

from pharmakon.errors import PharmakonError
from pharmakon.models.configs import active_parameters, build_tiny_model, count_parameters, set_router_aux_loss_coef
from pharmakon.models.io import load_model, save_model
from pharmakon.models.sizes import TINY_CONFIGS, dense_twin, parameter_counts
from pharmakon.stages.configs import FinetuneConfig, PretrainConfig, SFTStageConfig
from pharmakon.stages.dpo import DPOStageConfig, dpo
from pharmakon.stages.finetune import finetune
from pharmakon.stages.lean_sft import completion_loss, packed_batch, tokenise_examples
from pharmakon.stages.pretrain import pretrain
from pharmakon.stages.sft import sft


@pytest.fixture
def nano_moe(tokenizer):
    return build_tiny_model("nano-moe", tokenizer, seed=0)


def mean(values):
    return sum(values) / len(values)


def test_counts_from_the_shape_match_the_built_models_and_the_twin_has_equal_active(tokenizer, nano_moe):
    total, active = parameter_counts("nano-moe", len(tokenizer))
    assert type(nano_moe).__name__ == "MixtralForCausalLM"
    assert (count_parameters(nano_moe), active_parameters(nano_moe)) == (total, active)
    assert active < total
    twin = build_tiny_model(dense_twin("nano-moe"), tokenizer, seed=0)
    assert count_parameters(twin) == active_parameters(twin) == parameter_counts("nano", len(tokenizer))[0]
    shape = TINY_CONFIGS["nano-moe"]
    assert active - count_parameters(twin) == shape.num_layers * shape.num_experts * shape.hidden_size  # routers
    for name in ("micro-moe", "small-moe"):
        moe_active = parameter_counts(name)[1]
        twin_total = parameter_counts(dense_twin(name))[0]
        assert abs(moe_active - twin_total) / twin_total < 0.01


def test_list_models_shows_total_active_and_the_twin():
    from pharmakon.cli import app

    result = CliRunner().invoke(app, ["list", "models"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.strip().startswith("micro-moe"))
    total, active = parameter_counts("micro-moe")
    assert f"{total / 1e6:.2f}M parameters" in line and f"{active / 1e6:.2f}M active" in line
    assert "dense twin micro" in line


def test_pretrain_and_sft_lower_the_loss_and_save_load_keeps_the_logits(world, tokenizer, nano_moe, tmp_path):
    result = pretrain(nano_moe, tokenizer, world.documents(), PretrainConfig(max_steps=20, max_length=64,
                                                                             learning_rate=5e-3), seed=0)
    assert mean(result.losses[-5:]) < mean(result.losses[:5]) - 1.0
    tuned = sft(result.model, tokenizer, world.instructions(), SFTStageConfig(max_steps=12, batch_size=16,
                                                                             learning_rate=3e-3), seed=0)
    assert mean(tuned.losses[-3:]) < mean(tuned.losses[:3])
    directory = save_model(tuned.model, tokenizer, tmp_path / "moe")
    assert (directory / "model.safetensors").is_file() and not list(directory.glob("*.bin"))
    loaded, _ = load_model(directory)
    assert type(loaded).__name__ == "MixtralForCausalLM" and loaded.config.output_router_logits
    ids = tokenizer(["the weather in the town"], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval()(input_ids=ids).logits, tuned.model.eval()(input_ids=ids).logits,
                                   atol=0, rtol=0)


def test_the_router_loss_is_in_both_training_losses_at_its_coefficient(world, tokenizer, nano_moe):
    ids = tokenizer(["the weather in the town is fine"], return_tensors="pt")["input_ids"]
    logits_only = torch.nn.functional.cross_entropy(nano_moe(input_ids=ids).logits[0, :-1], ids[0, 1:])
    records = world.instructions()[:4]
    batch = packed_batch(tokenise_examples(tokenizer, [r.prompt for r in records], [r.response for r in records], 96),
                         torch.device("cpu"))
    losses = {}
    for coef in (0.0, 1.0):
        set_router_aux_loss_coef(nano_moe, coef)
        output = nano_moe(input_ids=ids, labels=ids)
        assert output.aux_loss > 0
        torch.testing.assert_close(output.loss, logits_only + coef * output.aux_loss)
        losses[coef] = completion_loss(nano_moe, batch)
    aux = nano_moe(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).aux_loss
    torch.testing.assert_close(losses[1.0] - losses[0.0], aux, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_the_coefficient_balances_the_experts(world, tokenizer):
    """Trained with a large coefficient the experts end more evenly loaded (a lower load-balancing loss) than
    trained without it."""
    ids = tokenizer([d.text for d in world.documents()[:16]], return_tensors="pt", padding=True, truncation=True,
                    max_length=64)
    balance = {}
    for coef in (0.0, 1.0):
        model = build_tiny_model("nano-moe", tokenizer, seed=0)
        set_router_aux_loss_coef(model, coef)
        trained = pretrain(model, tokenizer, world.documents(), PretrainConfig(max_steps=30, max_length=64,
                                                                              learning_rate=5e-3), seed=0).model
        with torch.no_grad():
            balance[coef] = float(trained(**ids).aux_loss)
    assert balance[1.0] < balance[0.0] - 0.05


def test_lora_reaches_the_experts(world, tokenizer, nano_moe):
    experts = {n: p.detach().clone() for n, p in nano_moe.named_parameters() if ".experts." in n}
    config = FinetuneConfig(max_steps=4, batch_size=8, target_parameters=["experts.gate_up_proj",
                                                                          "experts.down_proj"])
    tuned = finetune(nano_moe, tokenizer, world.instructions(), config, seed=0).model
    assert type(tuned).__name__ == "MixtralForCausalLM"
    assert all(not torch.equal(experts[n], p) for n, p in tuned.named_parameters() if n in experts)
    with pytest.raises(PharmakonError, match="finetune.target_parameters"):
        finetune(tuned, tokenizer, world.instructions(), FinetuneConfig(max_steps=1, target_parameters=["mlp.up"]),
                 seed=0)


@pytest.mark.slow
def test_dpo_trains_the_moe(world, tokenizer, nano_moe):
    config = DPOStageConfig(max_steps=8, batch_size=8, learning_rate=3e-3)
    result = dpo(nano_moe, tokenizer, world.preferences(), config, seed=0)
    assert mean(result.losses[-3:]) < result.losses[0]


def test_a_spec_names_the_moe_as_a_tiny_model():
    from pharmakon.engine.model_spec import ModelSpec

    spec = ModelSpec(name="micro-moe")
    assert not spec.real and spec.vocab_size == 2048
