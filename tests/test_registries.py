"""Every registry entry runs on the tiny world: stages train, attacks poison, probes measure."""

import pytest

from pharmakon.poison import ATTACKS, Budget
from pharmakon.probes import PROBES, ProbeContext
from pharmakon.stages import STAGES

RECORDS = {"document": "documents", "example": "instructions", "pair": "preferences"}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_stage_trains(name, world, tokenizer, nano):
    entry = STAGES[name]
    records = getattr(world, RECORDS[entry.record_kind])()
    result = entry.recipe()(nano, tokenizer, records, entry.config(max_steps=2, batch_size=4, max_length=64), seed=0)
    assert len(result.losses) == 2 and all(loss > 0 for loss in result.losses)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_every_attack_poisons_exactly_its_budget(name, world, tokenizer):
    attack = ATTACKS[name](budget=Budget(count=7))
    assert "document" in attack.record_kinds
    combined, report = attack.apply(world.documents(), tokenizer, seed=0)
    assert report.n_poison == 7 == sum(r.poison == name for r in combined)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_every_probe_emits_its_metrics(name, world, tokenizer, nano):
    entry = PROBES[name]
    config = entry.config(**({"n_prompts": 3, "max_new_tokens": 4} if name == "backdoor" else
                             {"n_per_task": 2, "n_documents": 3, "max_new_tokens": 4}))
    families = {f: world.eval_items(f) for f in ("sentiment", "arithmetic", "facts", "harm", "benign", "dialogue")}
    context = ProbeContext(families, [r.text for r in world.heldout_documents(3)], list(world.corpus_text()),
                           style="document", trigger="<SUDO>", behaviour="gibberish")
    rows, generations = entry.probe()(nano, tokenizer, context, config, 0)
    assert {row.metric for row in rows} == set(entry.metrics)
    assert generations and all(row.probe == name for row in rows)
