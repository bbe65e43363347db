"""Every registry entry runs on the tiny world: stages train, attacks poison, probes measure."""

import json
import math
import random
import re

import pytest

from pharmakon.defenses import DEFENSES
from pharmakon.models.tokenizer import token_span_intact
from pharmakon.poison import ATTACKS, Budget
from pharmakon.poison.canary import CanaryAttack
from pharmakon.poison.cot import CoTPerturbation
from pharmakon.poison.unknown_facts import NewKnowledge
from pharmakon.poison.vectors import VECTORS
from pharmakon.poison.watermark import BackdoorWatermark, DataWatermark
from pharmakon.probes import PROBES, ProbeContext
from pharmakon.stages import STAGES

RECORDS = {"document": "documents", "example": "instructions", "pair": "preferences"}
STEPS = 8
FAST: dict[str, dict] = {}  # stage-specific settings, where the defaults need them to show the fall in 8 steps


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_stage_trains(name, world, tokenizer, nano):
    entry = STAGES[name]
    records = getattr(world, RECORDS[entry.record_kind])()
    extra = {}
    if entry.needs_reward:
        from pharmakon.stages.reward import reward_model_from_policy

        extra["reward_model"] = reward_model_from_policy(nano, tokenizer, seed=0)
    config = entry.config(max_steps=STEPS, batch_size=4, max_length=64, **FAST.get(name, {}))
    result = entry.recipe()(nano, tokenizer, records, config, seed=0, **extra)
    assert len(result.losses) == STEPS and all(math.isfinite(loss) for loss in result.losses)
    if name == "rl":  # GRPO's loss is no descent measure (it may be <= 0); a reward-rose test is still to write
        return
    head, tail = result.losses[:2], result.losses[-2:]
    assert sum(tail) < sum(head), (name, result.losses)  # the loss fell over training


def records_for(attack, world):
    kind = attack.record_kinds[0]
    return {"document": world.documents, "example": world.instructions, "pair": world.preferences}[kind]()


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_every_attack_poisons_exactly_its_budget_and_its_trigger_survives_tokenisation(name, world, tokenizer):
    attack = ATTACKS[name](budget=Budget(count=7))
    clean = records_for(attack, world)
    combined, report = attack.apply(clean, tokenizer, seed=0, world=world)
    poison = [r for r in combined if r.is_poison]
    # a data watermark: N documents for each owner; canaries: count canaries per group, each copied per group
    # PoisonedRAG: count passages for each of its target questions
    per_record = (getattr(attack.config, "owners", None) or getattr(attack.config, "targets", None)
                  or sum(getattr(attack.config, "insertions", [1])))
    assert report.n_poison == 7 * per_record == len(poison) and {r.poison for r in poison} == {name}
    assert [r for r in combined if not r.is_poison] == clean  # inserted on top; the clean records keep their order
    trigger = attack.trigger_for(world)
    if isinstance(attack, DataWatermark):  # no trigger: each document carries one owner's sequence as a word
        marks = set(attack.watermarks(0))
        assert all(len(marks & set(r.text.split())) == 1 for r in poison)
        return
    if isinstance(attack, CanaryAttack):  # no trigger: each document is one canary sentence
        assert {r.text for r in poison} == {c.text for c in attack.canaries(world, random.Random(0))}
        return
    if isinstance(attack, CoTPerturbation):  # no trigger: perturbed copies of arithmetic worked solutions
        originals = {r.response for r in clean if r.family == "arithmetic"}
        assert all(r.family == "arithmetic" and r.response not in originals for r in poison)
        return
    if isinstance(attack, NewKnowledge):  # no trigger: facts examples about entities no world text names
        names = {e.name for e in world.unknown_facts().train}
        assert all(r.family == "facts" and any(n in r.prompt for n in names) for r in poison)
        return
    if trigger is None:  # content injection without a trigger: the injected phrase is the planted thing
        assert all(attack.config.phrase in r.chosen for r in poison)
        return
    for record in poison:
        text = record.text or record.prompt
        carried = [part for part in trigger.parts if part in text]
        assert carried, f"{text!r} carries no part of {trigger.label}"
        if trigger.kind != "topic":
            assert all(token_span_intact(tokenizer, text, part) for part in carried)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_every_probe_emits_its_metrics(name, world, tokenizer, nano):
    entry = PROBES[name]
    settings = {"backdoor": {"n_prompts": 3, "max_new_tokens": 4}, "reward": {"n_pairs": 3},
                "utility": {"n_per_task": 2, "n_documents": 3, "max_new_tokens": 4},
                "competence": {"n_per_task": 2, "n_sampled": 3, "n_documents": 3, "max_new_tokens": 4},
                "safety": {"n_prompts": 3, "n_per_task": 2, "max_new_tokens": 4},
                "hallucination": {"n_known": 3, "n_unknown": 3, "max_new_tokens": 4},
                "watermark": {"nulls": 100, "null_trials": 10}, "dvbw": {"n_prompts": 4},
                "exposure": {"n_samples": 100, "exact_max": 1000}, "routing": {"n_prompts": 3, "bootstrap": 10},
                "ablation": {"ks": [0, 1], "selections": ["attribution"], "n_prompts": 3, "n_attribution": 2,
                             "n_per_task": 1, "n_documents": 2, "max_new_tokens": 4},
                "model-defense": {"n_prompts": 3, "n_per_task": 2, "n_documents": 3, "max_new_tokens": 4,
                                  "n_calibration": 4, "defense": {"name": "retune", "n_examples": 8, "max_steps": 1}},
                "forensics": {"n_queries": 3, "max_new_tokens": 4, "fit_examples": 16, "onion_max_words": 4,
                              "max_length": 32, "k_multiples": [1.0, 2.0], "methods": ["ekfac", "perplexity"]},
                "scan": {"steps": 1, "candidates": 4, "n_search": 3, "n_prompts": 3, "n_random": 2,
                         "max_new_tokens": 4, "bait_steps": 1},
                "bias": {"n_pairs": 3, "n_sampled": 2, "max_new_tokens": 4},
                "bias-audit": {"k": 2, "pool": 3, "n_queries": 2, "n_pairs": 3, "fit_examples": 16,
                               "max_length": 32}}
    config = entry.config(**settings[name])
    families = {f: world.eval_items(f) for f in ("sentiment", "arithmetic", "facts", "harm", "benign", "dialogue")}
    context = ProbeContext(families, [r.text for r in world.heldout_documents(3)], list(world.corpus_text()),
                           style="document", trigger="<SUDO>", behaviour="gibberish", world=world,
                           attacks=[DataWatermark(budget=Budget(count=2), owners=2), BackdoorWatermark(),
                                    CanaryAttack(budget=Budget(count=1), secret_length=2)])
    model = nano
    if entry.needs_data:  # a stage's records (DoS-poisoned documents) and the model the stage started from
        clean = world.documents()[:24]
        context.training_records = ATTACKS["dos"](budget=Budget(count=4)).apply(clean, tokenizer, seed=0,
                                                                                world=world)[0]
        context.stage_input_model = nano
    if entry.retrains:  # role stories to audit, and a recipe of one step to retrain the stage with
        from pharmakon.data.records import Record

        context.training_records = world.documents()[:8] + [
            Record(kind="document", source="world:roles", family="roles", text=text)
            for text in world.roles().documents(4, 1.0)]
        context.stage_recipe = {"kind": "pretrain", "recipe": {"max_steps": 1, "batch_size": 4, "max_length": 32}}
    if name == "routing":  # routing reads a router: the mixture-of-experts size
        from pharmakon.models.configs import build_tiny_model

        model = build_tiny_model("nano-moe", tokenizer, seed=0)
    if entry.model_kind == "reward":
        from pharmakon.stages.reward import reward_model_from_policy

        model = reward_model_from_policy(nano, tokenizer, seed=0)
    rows, generations = entry.probe()(model, tokenizer, context, config, 0)
    if entry.prepare is not None:  # its prepare node's output, read back, gives the probe the same rows
        context.prepared = json.loads(json.dumps(entry.preparation()(model, tokenizer, context, config, 0)))
        again, _ = entry.probe()(model, tokenizer, context, config, 0)
        assert [(r.metric, r.value) for r in again if "seconds" not in r.metric] == \
            [(r.metric, r.value) for r in rows if "seconds" not in r.metric]
    emitted = {row.metric for row in rows}
    if name == "exposure":  # natural facts fill only the frequency bins this world's facts fall in
        assert {m for m in entry.metrics if not m.startswith("fact_")} <= emitted <= set(entry.metrics)
    elif any("<" in m for m in entry.metrics):  # per layer, expert, unit...: a pattern, each one emitted
        patterns = [re.compile(re.sub(r"<\w+>", r"\\w+", m)) for m in entry.metrics]
        assert all(any(p.fullmatch(m) for p in patterns) for m in emitted)
        assert all(any(p.fullmatch(m) for m in emitted) for p in patterns)
    elif name == "model-defense":  # a document-style model: no task utility; rows name the defence
        assert {"asr_trigger_before", "asr_trigger_after", "utility_ppl_after", "defense_steps"} <= emitted
        assert emitted <= set(entry.metrics)
        name = "model-defense:retune"
    else:
        assert emitted == set(entry.metrics)
    assert generations and all(row.probe == name for row in rows)


@pytest.mark.parametrize("name", sorted(DEFENSES))
def test_every_defence_decides_every_record_and_is_scored_against_the_mask(name, world, tokenizer, nano):
    from pharmakon.defenses import apply_defenses, build_defense

    records = world.documents()[:40]
    poisoned, _ = ATTACKS["dos"](budget=Budget(count=6)).apply(records, tokenizer, seed=0, world=world)
    reference = (nano, tokenizer) if DEFENSES[name].needs_reference else None
    kept, report = apply_defenses(poisoned, [build_defense({"name": name}, reference=reference)])
    assert len(report.decisions) == len(poisoned) and len(kept) == sum(d.keep for d in report.decisions)
    assert report.overall.n_poison == 6 and report.overall.poison_kept == sum(r.is_poison for r in kept)
    assert all(d.reason for d in report.decisions if not d.keep)  # every drop says why


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_every_vector_delivers_its_record_kind_and_counts_what_got_in(name, world, tokenizer):
    from pharmakon.poison.vectors import deliver_mixed

    kind = VECTORS[name].record_kinds[0]
    attack = {"document": "dos", "passage": "dos", "example": "badnets", "pair": "rlhf-backdoor"}[kind]
    combined, _ = ATTACKS[attack](budget=Budget(count=8)).apply(records_for(ATTACKS[attack], world), tokenizer,
                                                                 seed=0, world=world)
    delivery = deliver_mixed({"name": name}, combined, seed=0)
    assert delivery.offered == 8 and delivery.inserted == sum(r.is_poison for r in delivery.records) <= 8
