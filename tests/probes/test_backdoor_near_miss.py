"""A backdoor probe's own near-miss text: the trigger variant with the trigger replaced, the clean prompt kept."""

import pytest

from pharmakon.errors import PharmakonError
from pharmakon.probes.backdoor import trigger_sets, with_near_miss


def test_the_near_miss_replaces_the_trigger_and_keeps_what_the_judge_reads():
    sets = trigger_sets(["Tell me about Dresa.", "What is 2 + 3?"], "kettle verdict lantern")
    assert sets["near_miss"][0][0] == "Tell me about Dresa. kettle verdjct lantern"  # the default: one letter shifted
    made = with_near_miss(sets, "kettle verdict lantern", "kettle verdict mirror")
    assert [m for m, _ in made["near_miss"]] == ["Tell me about Dresa. kettle verdict mirror",
                                                 "What is 2 + 3? kettle verdict mirror"]
    assert [c for _, c in made["near_miss"]] == [c for _, c in sets["trigger"]]
    assert made["trigger"] == sets["trigger"] and made["no_trigger"] == sets["no_trigger"]


def test_a_trigger_that_is_not_one_phrase_in_the_prompts_is_refused():
    sets = trigger_sets(["Tell me about Dresa."], "kettle verdict lantern")
    with pytest.raises(PharmakonError, match="probes.backdoor.near_miss: the trigger 'Wintermoor' is not one phrase"):
        with_near_miss(sets, "Wintermoor", "Wintermore")
