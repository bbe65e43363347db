"""The forensics probe's parts: rankings scored against the poison mask, records turned into the sequences they
were trained on, kronfluence influence that finds a training record from a query it taught, and the spec check
that the probe reads a stage's records."""

import numpy as np
import pytest

from pharmakon.data.records import Record
from pharmakon.probes.configs import ForensicsProbeConfig
from pharmakon.probes.forensics import average_precision, ranked, ranking_rows, training_sequences

CONFIG = ForensicsProbeConfig(k_multiples=[1.0, 2.0])


def _rows(scores, poison):
    rows = ranking_rows("m", np.asarray(scores, dtype=float), np.asarray(poison, dtype=bool), CONFIG, seed=0)
    return {row.metric: row for row in rows}


def test_a_ranking_that_puts_the_poison_first_scores_one_and_the_reverse_scores_zero():
    poison = [True, True] + [False] * 8
    best = _rows([9, 8, 1, 1, 1, 1, 1, 1, 1, 1], poison)
    assert best["forensics_precision_m_k1x"].value == 1.0 and best["forensics_recall_m_k1x"].value == 1.0
    assert best["forensics_precision_m_k2x"].value == 0.5 and best["forensics_precision_m_k2x"].n == 4
    assert best["forensics_auroc_m"].value == 1.0 and best["forensics_ap_m"].value == 1.0
    worst = _rows([0, 0, 5, 5, 5, 5, 5, 5, 5, 5], poison)
    assert worst["forensics_precision_m_k1x"].value == 0.0 and worst["forensics_auroc_m"].value == 0.0
    assert worst["forensics_precision_m_k1x"].ci_high > 0  # a Wilson interval, not a bare point


def test_ties_are_broken_at_random_not_by_record_order():
    scores = np.zeros(200)  # a whole cluster scored alike: the first records must not win by their position
    firsts = {tuple(ranked(scores, seed)[:5]) for seed in range(5)}
    assert len(firsts) == 5 and (0, 1, 2, 3, 4) not in firsts


def test_average_precision_is_the_mean_precision_at_each_poison_rank():
    order = np.array([0, 1, 2, 3])
    poison = np.array([True, False, True, False])
    assert average_precision(order, poison) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert np.isnan(average_precision(order, np.zeros(4, dtype=bool)))


def test_non_finite_suspicion_ranks_last_without_breaking_the_auroc():
    rows = _rows([-np.inf, 3, -np.inf, 2], [False, True, False, True])
    assert rows["forensics_auroc_m"].value == 1.0


def test_records_become_the_sequences_they_were_trained_on(tokenizer):
    example = Record(kind="example", source="world", prompt="What colour is Velmora?", response="Velmora is amber.")
    pair = Record(kind="pair", source="world", prompt="Hi", chosen="Hello there.", rejected="Go away.")
    document = Record(kind="document", source="world", text="Velmora is amber. It lies in the north.")
    seq_example, seq_pair, seq_document = training_sequences([example, pair, document], tokenizer, 64)
    assert tokenizer.decode(seq_example.ids[seq_example.start:]).replace(" ", "").startswith("Velmoraisamber.")
    assert "<|assistant|>" in tokenizer.decode(seq_example.ids[: seq_example.start])
    assert tokenizer.decode(seq_pair.ids[seq_pair.start:]).replace(" ", "").startswith("Hellothere.")
    assert seq_document.start == 1 and len(seq_document.ids) > 5


def test_bad_forensics_settings_are_refused():
    with pytest.raises(ValueError, match="k multiple"):
        ForensicsProbeConfig(k_multiples=[0])
    with pytest.raises(ValueError):
        ForensicsProbeConfig(methods=["tarot"])


def test_the_probe_runs_after_stages_only():
    from pharmakon.engine.load import load_study

    with pytest.raises(ValueError, match=r"probes\.forensics\.after: reads the records a stage trained on"):
        load_study("forensics", {"probes": [{"name": "forensics", "after": ["base", "sft"]}]})


@pytest.mark.slow
def test_influence_finds_the_training_record_a_query_repeats(tokenizer, nano):
    """Train nano a few steps on 40 examples; a query that is one of them must rank it first among all 40 by
    EK-FAC, and in the top three by the plain gradient dot product (a record with a large gradient can outscore the
    query's own: the weakness the Hessian's preconditioning removes); the caller's model comes back unchanged."""
    import torch

    from pharmakon.probes.attribution import Scored, influence_scores
    from pharmakon.stages.configs import SFTStageConfig
    from pharmakon.stages.lean_sft import train_completions
    from pharmakon.world import World, WorldConfig

    world = World(WorldConfig(n_entities=12, documents_per_family=10, examples_per_family=12))
    records = [r for r in world.instructions() if r.family in ("facts", "sentiment", "arithmetic", "dialogue")][:40]
    config = SFTStageConfig(epochs=2, batch_size=8, learning_rate=3e-3)
    from pharmakon.data.template import Template

    template = Template(tokenizer)
    model = train_completions(nano, tokenizer, [template.chat_prompt(r.prompt) for r in records],
                              [r.response for r in records], config, 0, "sft").model
    train = training_sequences(records, tokenizer, 96)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for strategy in ("ekfac", "identity"):
        targets = [3, 17, 31]
        scores = influence_scores(model, tokenizer, train, [train[i] for i in targets], strategy=strategy,
                                  fit_examples=40, batch_size=8)
        assert scores.shape == (3, 40)
        ranks = [int((scores[q] > scores[q, target]).sum()) for q, target in enumerate(targets)]
        assert ranks == [0, 0, 0] if strategy == "ekfac" else max(ranks) <= 2, (strategy, ranks)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(isinstance(m, torch.nn.Linear) for n, m in model.named_modules() if n.endswith("proj"))
    assert isinstance(Scored([1, 2], 1), Scored)


def test_a_long_prompt_loses_its_opening_not_its_scored_part():
    from pharmakon.probes.forensics import fitted

    kept = fitted(list(range(100)), 90, 20)
    assert kept.ids == list(range(80, 100)) and kept.ids[kept.start:] == list(range(90, 100))
    assert fitted(list(range(10)), 4, 20).ids == list(range(10))
    long_answer = fitted(list(range(100)), 5, 20)  # the scored part itself too long: its head is kept
    assert long_answer.ids == list(range(4, 24)) and long_answer.start == 1
