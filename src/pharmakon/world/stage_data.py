"""What a stage's data adds to the world's clean records, and how it is capped: a user's harmful fine-tuning
examples, clean instruction examples as chat-formatted pretraining documents, the world's role stories with a
planted association, and a seeded per-family cap. The engine's data node (``engine/nodes.py clean_records``) puts
them together as the spec's ``data`` asks."""

from __future__ import annotations

import random

from pharmakon.world.world import World


def role_documents(world: World, roles) -> list:
    """The world's role stories at the spec's strength (``data.roles``, a ``RolesSpec``), as pretraining
    documents."""
    from pharmakon.data.records import Record

    if not roles:
        return []
    return [Record(kind="document", source="world:roles", family="roles", text=text)
            for text in world.roles().documents(roles.count, roles.strength)]


def chat_documents(world: World, per_family: dict[str, int], tokenizer) -> list:
    """The first ``n`` (distinct) clean instruction examples of each named family as pretraining documents, each
    the templated prompt followed by its response: what an SFT example looks like, seen in pretraining."""
    from pharmakon.data.records import Record
    from pharmakon.data.template import Template

    if not per_family:
        return []
    template = Template(tokenizer)
    out = []
    for family, n in per_family.items():
        examples = [r for r in world.instructions() if r.family == family][:n]
        out += [Record(kind="document", source=f"world:{family}:chat", family=family,
                       text=template.chat_prompt(r.prompt) + r.response) for r in examples]
    return out


def capped(records: list, family: str, cap: int, seed: int) -> list:
    """``records`` with at most ``cap`` of ``family`` (a seeded choice), in their order."""
    positions = [i for i, r in enumerate(records) if r.family == family]
    if len(positions) <= cap:
        return records
    dropped = set(positions) - set(random.Random(f"{seed}:{family}").sample(positions, cap))
    return [r for i, r in enumerate(records) if i not in dropped]


def harmful_examples(world: World, n: int) -> list:
    """``n`` training-side harm requests of the world (never held-out ones) answered with compliance: a user's
    harmful fine-tuning data (Qi et al. 2023). Clean records: every condition trains on them."""
    from pharmakon.data.records import Record
    from pharmakon.world.sampling import cycle, derive

    if n == 0:
        return []
    rng = derive(world.config.seed, "harm", "harmful")
    prompts = sorted({r.prompt for r in world.instructions() if r.family == "harm"})
    return [Record(kind="example", source="user:harmful", family="harm", prompt=p, response=world.compliance(p, rng))
            for p in cycle(rng, prompts, n)]
