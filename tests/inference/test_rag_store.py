"""Retrieval: BM25 (bm25s) and dense (all-MiniLM-L6-v2) rank the passage holding the answer first for the
world's fact questions; PoisonedRAG's passages are retrieved for their target questions and not for others."""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.inference.build import build_adapter
from pharmakon.inference.retrieval import Retriever, store_passages
from pharmakon.poison import Budget
from pharmakon.poison.inference_attacks import PoisonedRAG
from pharmakon.probes.attack_judges import PlantedAnswerJudge


@pytest.mark.parametrize("kind", ["bm25", "dense"])
def test_the_passage_with_the_answer_ranks_first_for_fact_questions(world, kind):
    passages = store_passages(world, "facts")
    assert len(passages) == 4 * len(world.cast.entities)
    retriever = Retriever([p.text for p in passages], kind)
    items = world.eval_items("facts")
    hits = retriever.search([item.prompt for item in items], 1)
    found = [item.answer.lower() in passages[h[0]].text.lower() for item, h in zip(items, hits, strict=True)]
    missed = [i.prompt for i, f in zip(items, found, strict=True) if not f]
    assert np.mean(found) >= (1.0 if kind == "bm25" else 0.9), missed


def test_dense_embeddings_are_unit_norm():
    from pharmakon.models.encoder import encode

    vectors = encode(["Velmora is amber.", "What colour is Velmora?"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert encode([]).shape == (0, 384)


def test_store_limit_is_a_seeded_subset(world):
    every = store_passages(world, "facts")
    some = store_passages(world, "facts", limit=5)
    assert len(some) == 5 and set(some) <= set(every) and some == store_passages(world, "facts", limit=5)
    assert store_passages(world, "facts", limit=0) == []


@pytest.mark.parametrize("kind", ["bm25", "dense"])
def test_poisoned_rag_passages_are_retrieved_for_their_target_only(world, kind):
    spec = {"name": "rag", "k": 3, "retriever": kind, "poison": {"attack": "poisoned-rag", "count": 5}}
    adapter = build_adapter(spec, world, seed=0, poisoned=True)
    attack = adapter.attack
    targets = attack.targets(world)
    assert sum(p.is_poison for p in adapter.passages) == 5 * len(targets)
    asked = {q for t in targets for q in t[:2]}
    others = [i.prompt for i in world.eval_items("facts") if i.prompt not in asked]
    questions = [t[0] for t in targets]
    adapter.adapt(questions + others, "chat")
    success = np.mean([adapter.poisoned_in_context[q] for q in questions])
    # another question's context may hold a poisoned passage only when it asks about the same entity
    stray = [q for q in others if adapter.poisoned_in_context[q]
             and not any(t[0].split()[-1] == q.split()[-1] for t in targets)]
    assert success >= 0.9 and not stray, (success, stray)


def test_poisoned_rag_passages_carry_the_question_and_the_target_answer(world):
    attack = PoisonedRAG(budget=Budget(count=5), targets=3)
    poison = attack.plant(store_passages(world), world, seed=0)
    judge = PlantedAnswerJudge(**attack.judge_params(world))
    for question, other, _, sentence in attack.targets(world):
        mine = [p.text for p in poison if p.is_poison and p.text.startswith(question)]
        assert len(mine) == 5 and all(sentence in text for text in mine)
        assert judge(f"I think {sentence}", prompt=question) and judge(sentence, prompt=other)
        assert not judge(sentence, prompt="What is 3 + 4?")


def test_the_clean_twin_has_no_poisoned_passage(world):
    spec = {"name": "rag", "poison": {"attack": "poisoned-rag", "count": 5}}
    clean = build_adapter(spec, world, seed=0, poisoned=False)
    assert clean.attack is not None and not any(p.is_poison for p in clean.passages)
