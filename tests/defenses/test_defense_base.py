"""Scoring against the poison mask, the pipeline runner, and the registry's bad-input errors."""

from __future__ import annotations

import math

import pytest

from pharmakon.data.records import Record
from pharmakon.defenses import (
    DEFENSES,
    KEEP,
    Decision,
    Defense,
    DefenseScore,
    DefenseSpec,
    apply_defenses,
    build_defense,
    build_pipeline,
    drop,
    record_text,
)
from pharmakon.defenses.configs import DedupConfig
from pharmakon.errors import PharmakonError


def doc(text: str, poison: str = "") -> Record:
    return Record(kind="document", source="test", text=text, poison=poison)


class DropIf(Defense):
    """Drops records whose text contains ``word``."""

    def __init__(self, word: str, name: str) -> None:
        self.word, self.name = word, name

    def decide(self, records):
        return [drop(f"{self.name}: has {self.word}") if self.word in r.text else KEEP for r in records]


def test_score_on_a_hand_made_mask():
    poison = [True, True, True, False, False, False, False, False]
    dropped = [True, True, False, True, False, False, False, False]
    score = DefenseScore.from_mask(poison, dropped)
    assert (score.n, score.n_poison, score.poison_dropped, score.clean_lost) == (8, 3, 2, 1)
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 3)
    assert score.clean_lost_fraction == pytest.approx(1 / 5)
    assert score.poison_kept == 1 and score.kept == 5 and score.dropped == 3


def test_undefined_ratios_are_nan():
    score = DefenseScore.from_mask([False, False], [False, False])
    assert math.isnan(score.precision) and math.isnan(score.recall) and score.clean_lost_fraction == 0


def test_pipeline_runs_in_order_and_reports_per_step_and_overall():
    records = [doc("a x", "bad"), doc("b"), doc("c y", "bad"), doc("d x"), doc("e y x", "bad")]
    kept, report = apply_defenses(records, [DropIf("x", "first"), DropIf("y", "second")])
    assert [r.text for r in kept] == ["b"]
    first, second = report.steps
    assert (first.score.n, first.score.poison_dropped, first.score.clean_lost) == (5, 2, 1)
    assert second.score.n == 2  # the second step sees only the survivors of the first
    assert (second.score.poison_dropped, second.score.clean_lost) == (1, 0)
    assert first.reasons == {"first": 3} and first.poison_reasons == {"first": 2}
    assert report.reasons == {"first": 3, "second": 1}
    assert report.overall.recall == 1.0 and report.overall.precision == pytest.approx(3 / 4)
    assert [d.keep for d in report.decisions] == [False, True, False, False, False]
    assert report.decisions[2].reason == "second: has y"
    assert report.rows()[-1]["step"] == "overall"


def test_decision_rule_and_reasons():
    assert Decision(False, "near-duplicate: of record 3").rule == "near-duplicate"
    assert KEEP.keep and KEEP.reason == ""
    with pytest.raises(ValueError, match="reason"):
        drop("")


def test_record_text_joins_instruction_fields():
    pair = Record(kind="pair", source="t", prompt="p", chosen="c", rejected="r")
    assert record_text(pair) == "p\nc\nr"
    assert record_text(Record(kind="example", source="t", prompt="p", response="r")) == "p\nr"


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "dedupe"}, r"defenses.name: unknown defence 'dedupe'; did you mean 'dedup'\? allowed: cluster, dedup"),
    ({"name": "dedup", "thresh": 0.5}, r"defenses.thresh: unknown parameter of defence 'dedup'; did you mean"),
    ({"name": "dedup", "threshold": 1.5}, r"defenses.threshold: Input should be less than 1"),
    ({"name": "quality", "min_words": 10, "max_words": 5}, r"defenses: min_words \(10\) is larger than max_words"),
    ({"name": "perplexity"}, r"defence 'perplexity' needs a reference model"),
    ({"threshold": 0.5}, r"defenses.name: Field required"),
    ("dedup", r"defenses: a defence is a mapping with a 'name' \(one of cluster, dedup"),
])
def test_bad_specs_fail_in_one_line(spec, message):
    with pytest.raises(PharmakonError, match=message) as info:
        build_defense(spec)
    assert "\n" not in str(info.value)


def test_a_spec_resolves_every_default():
    spec = DefenseSpec(name="dedup", threshold=0.8)
    assert spec.params["threshold"] == 0.8 and spec.params["ngram"] == 3
    assert spec.config() == DedupConfig(threshold=0.8)


def test_empty_pipeline_is_an_error():
    with pytest.raises(PharmakonError, match="cleaning pipeline is empty"):
        build_pipeline([])
    with pytest.raises(PharmakonError, match="cleaning pipeline is empty"):
        apply_defenses([doc("a")], [])


def test_every_registered_defence_builds_from_its_defaults():
    reference = (object(), object())
    for name, entry in DEFENSES.items():
        defense = build_defense({"name": name}, reference=reference)
        assert isinstance(defense, Defense) and defense.name == name
        assert entry.paper and entry.url.startswith("https://")
    pipeline = build_pipeline([{"name": "dedup", "threshold": 0.8}, {"name": "quality", "min_words": 5}])
    assert pipeline[0].config.threshold == 0.8 and pipeline[1].config.min_words == 5
