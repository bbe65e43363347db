"""Model-side defences: each is registered with its paper, validates its spec with one-line errors, and does what
its paper says to the model (pruned neurons stay pruned, a guard with the model itself as reference changes
nothing, CROW trains with a finite consistency loss)."""

from __future__ import annotations

import copy

import pytest
import torch

from pharmakon.defenses.model import MODEL_DEFENSES, build_model_defense, parse_model_defense
from pharmakon.defenses.model.base import Defended, DefenseInputs
from pharmakon.errors import PharmakonError
from pharmakon.inference.generate import generate
from pharmakon.inference.guard import DecodingGuard, guarded
from pharmakon.probes.model_defense import auroc


def test_every_model_defence_names_its_paper_and_builds_from_defaults():
    assert set(MODEL_DEFENSES) == {"retune", "fine-pruning", "crow", "cleangen", "onion-filter", "strip"}
    for name, entry in MODEL_DEFENSES.items():
        assert entry.paper and entry.url.startswith("https://arxiv.org/")
        assert build_model_defense({"name": name}).name == name


def test_a_bad_defence_spec_is_one_line_naming_the_field():
    with pytest.raises(PharmakonError, match=r"^defense\.name: unknown model defence 'pruning'.*fine-pruning"):
        parse_model_defense({"name": "pruning"})
    with pytest.raises(PharmakonError, match=r"^defense\.fractoin: unknown parameter.*fraction"):
        parse_model_defense({"name": "fine-pruning", "fractoin": 0.2})
    with pytest.raises(PharmakonError, match=r"^defense\.fraction: "):
        parse_model_defense({"name": "fine-pruning", "fraction": 1.5})
    with pytest.raises(PharmakonError, match=r"^defense: a model defence is a mapping"):
        parse_model_defense("retune")


def test_auroc_orders_scores_and_counts_ties_half():
    assert auroc([2.0, 3.0], [0.0, 1.0]) == 1.0
    assert auroc([0.0, 1.0], [2.0, 3.0]) == 0.0
    assert auroc([1.0, 1.0], [1.0]) == 0.5


@pytest.fixture
def clean(world):
    return DefenseInputs(clean=world.instructions(), calibration=[r.prompt for r in world.instructions()[:8]],
                         seed=0)


def test_fine_pruning_zeroes_the_least_active_neurons_and_they_stay_zero_through_fine_tuning(nano, tokenizer, clean):
    before = copy.deepcopy(nano)
    defense = build_model_defense({"name": "fine-pruning", "n_examples": 32, "n_activation": 16, "max_steps": 3,
                                   "fraction": 0.25, "layers": 1})
    defended = defense(nano, tokenizer, clean)
    layers = defended.model.model.layers
    width = layers[-1].mlp.down_proj.in_features
    assert defended.stats["pruned"] == int(0.25 * width) and defended.steps == 3 and defended.examples == 32
    dead = (layers[-1].mlp.down_proj.weight == 0).all(dim=0)
    assert int(dead.sum()) == int(0.25 * width)
    assert not (layers[0].mlp.down_proj.weight == 0).all(dim=0).any()  # only the last layer was pruned
    moved = [not torch.equal(a, b) for a, b in zip(before.parameters(), defended.model.parameters(), strict=True)]
    assert any(moved)  # and the rest fine-tuned


def test_crow_trains_with_a_finite_consistency_loss(nano, tokenizer, clean):
    before = copy.deepcopy(nano)
    defended = build_model_defense({"name": "crow", "n_examples": 32, "max_steps": 2})(nano, tokenizer, clean)
    assert defended.steps == 2 and 0 <= defended.stats["consistency_loss"] < 2
    assert any(not torch.equal(a, b) for a, b in zip(before.parameters(), defended.model.parameters(), strict=True))


def test_cleangen_with_the_model_itself_as_reference_replaces_nothing(nano, tokenizer, world, clean):
    prompts = [item.prompt for item in world.eval_items()[:6]]
    same = DefenseInputs(reference=(nano, tokenizer))
    defended = build_model_defense({"name": "cleangen", "alpha": 2})(nano, tokenizer, same)
    plain = generate(nano, tokenizer, prompts, sample=True, max_new_tokens=8, seed=3)
    with guarded(DecodingGuard(defended.guard)):
        guarded_out = generate(nano, tokenizer, prompts, sample=True, max_new_tokens=8, seed=3)
    assert [g.output for g in guarded_out] != [] and defended.counters()["replaced_fraction"] == 0.0
    assert len(plain) == len(guarded_out)
    # a suspect far more certain than its reference (its head scaled up): its proposals are replaced
    peaked = copy.deepcopy(nano)
    with torch.no_grad():
        peaked.lm_head.weight.mul_(50)
    swapped = build_model_defense({"name": "cleangen", "alpha": 2})(peaked, tokenizer,
                                                                     DefenseInputs(reference=(nano, tokenizer)))
    with guarded(DecodingGuard(swapped.guard)):
        generate(peaked, tokenizer, prompts, sample=False, max_new_tokens=8, seed=3)
    assert swapped.counters()["replaced_fraction"] > 0.5


def test_a_detector_alone_changes_no_output():
    assert not Defended(model=None, detector=lambda prompts: [0.0] * len(prompts)).changes_outputs
    assert Defended(model=None, input_filter=list).changes_outputs and Defended(model=None, steps=1).changes_outputs

