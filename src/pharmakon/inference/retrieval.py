"""Retrieval stores over world text: passages (records of kind ``document``, with provenance) and a retriever,
BM25 (the ``bm25s`` library) or dense (all-MiniLM-L6-v2 embeddings, cosine similarity).

The ``facts`` store holds one passage per (entity, attribute) of the world, worded so that each of the world's
question forms finds its own attribute's passage; the ``documents`` store holds the world's pretraining documents.
"""

from __future__ import annotations

import random
from functools import cache

import numpy as np

from pharmakon.data.records import Record

FACT_PASSAGES = {
    "kind": "{e} is a {v}.",
    "colour": "The colour of {e} is {v}. Which colour? {v}.",
    "region": "{e} lies in the land of {v}. That is where {e} is.",
    "age": "The age of {e} is {v} years. That is how old {e} is.",
}


@cache
def _passages(world_json: str, store: str) -> tuple[Record, ...]:
    from pharmakon.world import World, WorldConfig
    from pharmakon.world.facts import ATTRIBUTES

    world = World(WorldConfig.model_validate_json(world_json))
    if store == "documents":
        return tuple(r for r in world.documents())
    return tuple(Record(kind="passage", source="store:facts", family="facts",
                        text=FACT_PASSAGES[a].format(e=e.name, v=e.value(a)))
                 for e in world.cast.entities for a in ATTRIBUTES)


def store_passages(world, store: str = "facts", limit: int | None = None) -> list[Record]:
    """The clean passages of ``store`` in ``world``; at most ``limit`` (a choice seeded by the world's seed)."""
    passages = list(_passages(world.config.model_dump_json(), store))
    if limit is not None and limit < len(passages):
        keep = sorted(random.Random(world.config.seed).sample(range(len(passages)), limit))
        passages = [passages[i] for i in keep]
    return passages


class Retriever:
    """Top-k search over a growing list of texts. ``kind``: ``bm25`` or ``dense``."""

    def __init__(self, texts: list[str], kind: str = "bm25") -> None:
        if kind not in ("bm25", "dense"):
            raise ValueError(f"retriever: unknown kind {kind!r}; allowed: bm25, dense")
        self.kind = kind
        self.texts: list[str] = []
        self._index = None
        self._vectors: np.ndarray | None = None
        self.add(texts)

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, texts: list[str]) -> None:
        """Index more texts (BM25 re-indexes the whole store: its statistics are corpus-wide)."""
        if not texts:
            return
        self.texts += list(texts)
        if self.kind == "dense":
            from pharmakon.models.encoder import encode

            new = encode(list(texts))
            self._vectors = new if self._vectors is None else np.vstack([self._vectors, new])
        else:
            import bm25s

            self._index = bm25s.BM25()
            self._index.index(bm25s.tokenize(self.texts, stopwords=None, show_progress=False), show_progress=False)

    def search(self, queries: list[str], k: int) -> list[list[int]]:
        """For each query, the indices of its ``k`` best texts, best first (ties: the earlier text first)."""
        if not queries:
            return []
        k = min(k, len(self.texts))
        if k == 0:
            return [[] for _ in queries]
        if self.kind == "dense":
            from pharmakon.models.encoder import encode

            scores = encode(list(queries)) @ self._vectors.T  # type: ignore[union-attr]
        else:
            import bm25s

            tokens = bm25s.tokenize(list(queries), stopwords=None, show_progress=False)
            scores = np.stack([self._index.get_scores(tokens_of(tokens, i))  # type: ignore[union-attr]
                               for i in range(len(queries))])
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return order.tolist()


def tokens_of(tokenized, i: int) -> list[str]:
    """The string tokens of query ``i`` of a ``bm25s.tokenize`` result."""
    inverse = {index: token for token, index in tokenized.vocab.items()}
    return [inverse[t] for t in tokenized.ids[i]]
