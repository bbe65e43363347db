"""Natural facts beside the canaries: how often the pretraining documents state each (entity, attribute) fact,
and the exposure of its true value among the attribute's candidate values (a small space, ranked exactly).

A fact counts as stated once per sentence of ``world.documents()`` that names the entity and its value (so a
count is comparable with a canary's number of insertions). The prompt is one of the world's own statement forms,
cut before the value; every value the attribute takes in the world (all kinds and colours) is a candidate.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pharmakon.world.names import COLOURS, KINDS, LAND

PROMPTS = {"kind": "{e} is a", "colour": "The colour of {e} is", "region": "{e} lies in the land of",
           "age": "The age of {e} is"}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_TOKEN = re.compile(r"[A-Za-z]+|\d+")


@dataclass(frozen=True)
class FactExposure:
    """One natural fact: how often it is stated, its prompt, true value, exposure and |R| (candidate values)."""

    entity: str
    attribute: str
    value: str
    count: int
    prompt: str
    exposure: float
    space: int


def candidate_values(world) -> dict[str, list[str]]:
    """Every value each attribute can take in ``world`` (sorted)."""
    entities = world.cast.entities
    return {"kind": sorted({*KINDS, LAND}), "colour": sorted(COLOURS),
            "region": sorted({e.region for e in entities}), "age": sorted({str(e.age) for e in entities}, key=int)}


def fact_counts(world) -> Counter:
    """(entity name, attribute) → sentences of the world's documents naming the entity and its true value."""
    entities = {e.name: e for e in world.cast.entities}
    counts: Counter = Counter()
    for record in world.documents():
        for sentence in _SENTENCE.split(record.text):
            tokens = set(_TOKEN.findall(sentence))
            for name in tokens & entities.keys():
                entity = entities[name]
                for attribute in PROMPTS:
                    value = entity.value(attribute)
                    if value != name and value in tokens:
                        counts[name, attribute] += 1
    return counts


def fact_exposures(model, tokenizer, world, batch_size: int = 1024) -> list[FactExposure]:
    """The exact exposure of every (entity, attribute) fact's true value given its prompt."""
    from pharmakon.probes.exposure_score import continuation_nll, exposure_exact

    counts, values = fact_counts(world), candidate_values(world)
    out = []
    for entity in world.cast.entities:
        for attribute, template in PROMPTS.items():
            candidates, truth = values[attribute], entity.value(attribute)
            if len(candidates) < 2:  # a one-value space measures nothing
                continue
            prompt = template.format(e=entity.name)
            scores = continuation_nll(model, tokenizer, prompt, [f" {v}" for v in candidates], batch_size)
            out.append(FactExposure(entity.name, attribute, truth, counts[entity.name, attribute], prompt,
                                    exposure_exact(scores, candidates.index(truth)), len(candidates)))
    return out
