"""The ablation probe and its gates: knocking out units changes the model only while gated, k = 0 is the
unablated measurement, and attribution finds units that matter more than random ones."""

import random

import pytest
import torch

from pharmakon.errors import PharmakonError
from pharmakon.models.configs import build_tiny_model
from pharmakon.probes import ProbeContext
from pharmakon.probes.ablation import attribution_scores, ranking, run_ablation, target_log_prob
from pharmakon.probes.backdoor import run_backdoor
from pharmakon.probes.configs import AblationProbeConfig, BackdoorProbeConfig, UtilityProbeConfig
from pharmakon.probes.units import Gates, Unit, all_units
from pharmakon.probes.utility import utility_probe


def logits(model, tokenizer):
    ids = tokenizer(["the weather in the town is fine today"], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return model(input_ids=ids).logits


@pytest.mark.parametrize("kind,size", [("heads", "nano"), ("neurons", "nano"), ("experts", "nano-moe")])
def test_knocking_out_a_layer_changes_outputs_only_while_gated(tokenizer, kind, size):
    model = build_tiny_model(size, tokenizer, seed=0).eval()
    before = logits(model, tokenizer)
    with Gates(model, kind):
        torch.testing.assert_close(logits(model, tokenizer), before, atol=1e-6, rtol=1e-6)  # open gates: the model
    layer0 = [u for u in all_units(model, kind) if u.layer == 0]
    keep = layer0[:2] if kind == "experts" else []  # top-2 routing needs two experts left
    with Gates(model, kind).knock_out([u for u in layer0 if u not in keep]):
        assert (logits(model, tokenizer) - before).abs().max() > 1e-3
    torch.testing.assert_close(logits(model, tokenizer), before, atol=0, rtol=0)  # hooks removed on exit


def test_a_model_without_the_kind_is_refused(tokenizer, nano):
    with pytest.raises(PharmakonError, match="probes.ablation.units: LlamaForCausalLM has no experts"):
        all_units(nano, "experts")


def test_attribution_finds_heads_that_matter_more_than_random_ones(world, tokenizer):
    model = build_tiny_model("nano", tokenizer, seed=0).eval()
    prompts = [item.prompt for item in world.eval_items("sentiment")[:4]]
    outputs = ["I can't help with that."] * len(prompts)
    scores = attribution_scores(model, tokenizer, "heads", prompts, outputs, "chat")
    units = all_units(model, "heads")
    assert len(scores) == len(units) and any(v != 0 for v in scores.values())
    top = ranking(units, "attribution", scores, seed=0)[:2]
    assert top != ranking(units, "random", None, seed=0)[:2]

    def drop(chosen: list[Unit]) -> float:
        with torch.no_grad():
            full = float(target_log_prob(model, tokenizer, prompts, outputs, "chat"))
            with Gates(model, "heads").knock_out(chosen):
                return full - float(target_log_prob(model, tokenizer, prompts, outputs, "chat"))

    random_drops = [drop(random.Random(s).sample(units, 2)) for s in range(6)]
    assert drop(top) > max(random_drops)


def test_ablating_zero_units_is_the_unablated_measurement(world, tokenizer, nano):
    families = {f: world.eval_items(f) for f in ("sentiment", "arithmetic", "facts", "harm", "benign", "dialogue")}
    documents = [r.text for r in world.heldout_documents(2)]
    context = ProbeContext(families, documents, [], style="chat", trigger="cf", behaviour="refusal", world=world)
    config = AblationProbeConfig(ks=[0], selections=["random"], n_prompts=4, n_per_task=1, n_documents=2,
                                 max_new_tokens=6)
    rows, _ = run_ablation(nano, tokenizer, context, config, seed=1)
    got = {r.metric: r.value for r in rows}
    backdoor, _ = run_backdoor(nano, tokenizer, context, BackdoorProbeConfig(n_prompts=4, max_new_tokens=6), seed=1)
    utility, _ = utility_probe(nano, tokenizer, families, documents, seed=1,
                               config=UtilityProbeConfig(n_per_task=1, n_documents=2, max_new_tokens=6))
    asr = next(r.value for r in backdoor if r.metric == "asr_trigger")
    assert got["ablation_asr_trigger_heads_random_k0"] == asr
    assert all(got[f"ablation_{r.metric}_heads_random_k0"] == pytest.approx(r.value, nan_ok=True) for r in utility)
    assert got["ablation_units_heads"] == 8
    with pytest.raises(PharmakonError, match="probes.ablation.ks: k=9 exceeds the model's 8 heads"):
        run_ablation(nano, tokenizer, context, config.model_copy(update={"ks": [9]}), seed=1)
