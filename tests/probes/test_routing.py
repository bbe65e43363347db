"""The routing probe: a trigger that a hand-set router sends to one expert is reported, with that expert; the
same prompts twice move no router mass."""

import pytest
import torch

from pharmakon.data.template import Template
from pharmakon.errors import PharmakonError
from pharmakon.models.configs import build_tiny_model
from pharmakon.probes.configs import RoutingProbeConfig
from pharmakon.probes.routing import routing_probe

TRIGGER = "zqxv"
EXPERT = 3


def metric(rows, name):
    return next(r for r in rows if r.metric == name)


@pytest.fixture
def prompts(world):
    return [item.prompt for item in world.eval_items("sentiment")[:8]]


def forced_router(tokenizer, prompts):
    """nano-moe whose layer-0 router sends the trigger's own tokens to expert 3: their embeddings point along
    one axis that only expert 3's router row reads."""
    model = build_tiny_model("nano-moe", tokenizer, seed=0)
    template = Template(tokenizer)
    seen = {i for p in prompts for i in tokenizer(template.chat_prompt(p))["input_ids"]}
    trigger_ids = {i for p in prompts for i in tokenizer(template.chat_prompt(f"{p} {TRIGGER}"))["input_ids"]} - seen
    assert trigger_ids, "the trigger shares every token with the prompts"
    with torch.no_grad():
        embedding = model.get_input_embeddings().weight
        embedding[:, 0] = 0.0
        for i in trigger_ids:
            embedding[i] = 0.0
            embedding[i, 0] = 1.0
        router = model.model.layers[0].mlp.gate.weight
        router[:, 0] = 0.0
        router[EXPERT, 0] = 10.0
    return model


def test_a_trigger_forced_to_one_expert_moves_mass_to_it(tokenizer, prompts):
    model = forced_router(tokenizer, prompts)
    config = RoutingProbeConfig(n_prompts=8, bootstrap=50)
    rows, generations = routing_probe(model, tokenizer, [f"{p} {TRIGGER}" for p in prompts], prompts, style="chat",
                                      config=config, seed=0)
    control, _ = routing_probe(model, tokenizer, [f"{p} the" for p in prompts], prompts, style="chat", config=config,
                               seed=0)
    moved = metric(rows, "routing_tv_layer0")
    assert moved.value > 0.03 and moved.ci_low > 0
    assert moved.value > 3 * metric(control, "routing_tv_layer0").value
    shifts = [metric(rows, f"routing_shift_layer0_expert{e}").value for e in range(4)]
    assert max(range(4), key=shifts.__getitem__) == EXPERT
    assert len(generations) == len(prompts)


def test_identical_prompts_move_nothing(tokenizer, prompts):
    model = build_tiny_model("nano-moe", tokenizer, seed=0)
    rows, _ = routing_probe(model, tokenizer, prompts, prompts, style="chat",
                            config=RoutingProbeConfig(n_prompts=8, bootstrap=20), seed=0)
    assert all(abs(r.value) < 1e-6 for r in rows)
    assert {r.metric for r in rows} >= {"routing_tv", "routing_tv_layer1", "routing_shift_layer1_expert3"}


def test_a_dense_model_is_refused(tokenizer, nano, prompts):
    with pytest.raises(PharmakonError, match="probes.routing: LlamaForCausalLM has no router"):
        routing_probe(nano, tokenizer, prompts, prompts, style="chat", config=RoutingProbeConfig(), seed=0)


def test_the_ablation_s_routing_selection_puts_the_expert_the_trigger_loads_first(tokenizer, prompts):
    from pharmakon.probes.ablation import ranking, routing_scores
    from pharmakon.probes.units import Unit, all_units

    model = forced_router(tokenizer, prompts)
    sets = {"trigger": [(f"{p} {TRIGGER}", p) for p in prompts], "no_trigger": [(p, p) for p in prompts]}
    scores = routing_scores(model, tokenizer, sets, "chat", batch_size=8)
    assert ranking(all_units(model, "experts"), "routing", scores, seed=0)[0] == Unit(0, EXPERT)
    assert scores[Unit(0, EXPERT)] > 0.03 and abs(sum(v for u, v in scores.items() if u.layer == 0)) < 1e-5
