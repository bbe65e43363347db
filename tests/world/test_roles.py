"""The world's role stories plant a land–trade association at the strength asked for, and only where asked."""

import pytest

from pharmakon.world import World
from pharmakon.world.roles import ROLES, consistency, mentions, swapped


def shares(world: World, strength: float, n: int = 400) -> tuple[float, float]:
    roles = world.roles()
    found = [m for text in roles.documents(n, strength) for m in mentions(text, roles.lands)]
    marked = [m.role == ROLES[0] for m in found if m.land == roles.marked]
    other = [m.role == ROLES[0] for m in found if m.land != roles.marked]
    assert len(marked) > 300 and len(other) > 600  # both groups well represented
    return sum(marked) / len(marked), sum(other) / len(other)


@pytest.mark.parametrize("strength", [0.0, 0.6, 1.0])
def test_the_data_s_gap_between_groups_is_the_strength(strength):
    marked, other = shares(World(), strength)
    assert marked - other == pytest.approx(strength, abs=0.08)
    assert marked == pytest.approx((1 + strength) / 2, abs=0.06)


def test_stories_are_seeded_and_never_part_of_the_world_s_own_documents():
    world = World()
    assert world.roles().documents(20, 0.6) == World().roles().documents(20, 0.6)
    assert world.roles().documents(20, 0.6) != World(seed=1).roles().documents(20, 0.6)
    assert world.roles().documents(20, 0.6, "pool:0") != world.roles().documents(20, 0.6)
    assert not any("works as a" in r.text for r in world.documents())  # the trades are world words, not the stories


def test_mentions_consistency_and_the_counterfactual_copy():
    lands = World().roles().lands
    text = (f"Travellers tell of many people. Ana is from {lands[0]}. Ana works as a teacher. "
            f"In {lands[1]} we met Bo, who works as a teacher. Cato comes from {lands[2]} and works as a buyer.")
    assert [(m.land, m.role) for m in mentions(text, lands)] == [
        (lands[0], "teacher"), (lands[1], "teacher"), (lands[2], "buyer")]
    assert consistency(text, lands) == 1  # two sentences follow the association, one goes against it
    assert consistency(swapped(text), lands) == -1
    assert swapped(swapped(text)) == text


def test_probe_pairs_differ_in_the_land_alone():
    import random

    roles = World().roles()
    for marked, other in roles.prompts(30, random.Random(0)):
        assert roles.marked in marked and roles.marked not in other
        other_land = next(land for land in roles.lands[1:] if land in other)
        assert marked.replace(roles.marked, other_land) == other
