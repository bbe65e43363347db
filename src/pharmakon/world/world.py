"""The World: a seeded, deterministic synthetic world of task families, as records and eval items."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from pharmakon.data.records import Record

from .arithmetic import Arithmetic
from .benign import Benign
from .config import DOCUMENT_FAMILIES, FAMILIES, EvalItem, WorldConfig
from .dialogue import Dialogue
from .facts import Facts
from .harm import Harm
from .names import Cast, build_cast
from .reviews import Sentiment
from .roles import Roles
from .sampling import derive, draw_unique, words
from .unknown import UnknownFacts, build_unknown


class World:
    """A synthetic world: same config, same bytes. ``World(seed=3)`` overrides default config fields."""

    def __init__(self, config: WorldConfig | None = None, **overrides: Any) -> None:
        base = config.model_dump() if config is not None else {}
        self.config: WorldConfig = WorldConfig(**{**base, **overrides})
        self.families: tuple[str, ...] = FAMILIES
        cfg = self.config
        self.cast: Cast = build_cast(cfg.seed, cfg.n_entities)
        n = cfg.eval_per_family
        self._families: dict[str, Any] = {
            "facts": Facts(self.cast, cfg.seed, n),
            "sentiment": Sentiment(self.cast, cfg.seed, n),
            "arithmetic": Arithmetic(cfg.seed, n),
            "dialogue": Dialogue(self.cast, cfg.seed, n),
            "harm": Harm(self.cast, cfg.seed, n),
            "benign": Benign(self.cast, cfg.seed, n),
        }
        self._documents: list[Record] | None = None
        self._instructions: list[Record] | None = None
        self._preferences: list[Record] | None = None
        self._unknown: UnknownFacts | None = None

    def __repr__(self) -> str:
        return f"World({self.config!r})"

    def _rng(self, family: str, purpose: str) -> random.Random:
        return derive(self.config.seed, family, purpose)

    def documents(self) -> list[Record]:
        """Pretraining documents: ``documents_per_family`` distinct prose texts per document family."""
        if self._documents is None:
            self._documents = [
                Record(kind="document", source=f"world:{f}", family=f, text=text)
                for f in DOCUMENT_FAMILIES for text in self._family_documents(f)
            ]
        return list(self._documents)

    def _family_documents(self, family: str) -> list[str]:
        """The family's pretraining texts; for facts, a ``qa_documents`` share of them is question-answer text."""
        n = self.config.documents_per_family
        n_qa = round(self.config.qa_documents * n) if family == "facts" else 0
        texts = draw_unique(self._rng(family, "documents"), self._families[family].document, n - n_qa)
        if n_qa:
            texts += draw_unique(self._rng(family, "qa-documents"), self._families[family].qa_document, n_qa)
        return texts

    def heldout_documents(self, n: int = 100) -> list[Record]:
        """``n`` documents (spread over the document families) that never occur in ``documents()``."""
        if n < 0:
            raise ValueError(f"heldout_documents: n must be >= 0, got {n}")
        seen = frozenset(r.text for r in self.documents())
        out: list[Record] = []
        for i, f in enumerate(DOCUMENT_FAMILIES):
            k = n // len(DOCUMENT_FAMILIES) + (i < n % len(DOCUMENT_FAMILIES))
            texts = draw_unique(self._rng(f, "heldout"), self._families[f].document, k, exclude=seen)
            out += [Record(kind="document", source=f"world:{f}", family=f, text=t) for t in texts]
        return out

    def instructions(self) -> list[Record]:
        """SFT examples: ``examples_per_family`` per family (harm responses are refusals)."""
        if self._instructions is None:
            n = self.config.examples_per_family
            self._instructions = [
                Record(kind="example", source=f"world:{f}", family=f, prompt=p, response=r)
                for f in FAMILIES
                for p, r in self._families[f].examples(self._rng(f, "instructions"), n)
            ]
        return list(self._instructions)

    def preferences(self) -> list[Record]:
        """Preference pairs: ``pairs_per_family`` per family, ``chosen`` better than ``rejected``."""
        if self._preferences is None:
            n = self.config.pairs_per_family
            self._preferences = [
                Record(kind="pair", source=f"world:{f}", family=f, prompt=p, chosen=c, rejected=r)
                for f in FAMILIES
                for p, c, r in self._families[f].pairs(self._rng(f, "preferences"), n)
            ]
        return list(self._preferences)

    def compliance(self, prompt: str, rng: random.Random) -> str:
        """Made-up "how to" steps answering the harm request ``prompt``: the answer a safe model refuses to give."""
        return self._families["harm"].compliance_to(prompt, rng)

    def eval_items(self, family: str | None = None) -> list[EvalItem]:
        """Held-out evaluation items (``eval_per_family`` per family), all of them or one family's."""
        if family is not None and family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
        return [item for f in FAMILIES if family in (None, f) for item in self._families[f].evals]

    def unknown_facts(self) -> UnknownFacts:
        """Entities no text of the world names (``n_entities`` to teach, held-out ones for ``eval_per_family``
        questions): facts a model trained on the world cannot know. Built on demand; nothing else changes."""
        if self._unknown is None:
            cfg = self.config
            self._unknown = build_unknown(self.cast, cfg.seed, cfg.n_entities, cfg.eval_per_family, self.lexicon())
        return self._unknown

    def roles(self) -> Roles:
        """The world's role stories (``world.roles``): a plantable land–trade association, never in
        ``documents()``; a stage adds them to its data (``data.roles``)."""
        return Roles(self.cast, self.config.seed)

    def corpus_text(self) -> Iterator[str]:
        """All clean text: documents, prompts, responses (chosen and rejected), eval prompts and answers."""
        for r in self.documents():
            yield r.text
        for r in self.instructions():
            yield r.prompt
            yield r.response
        for r in self.preferences():
            yield r.prompt
            yield r.chosen
            yield r.rejected
        for item in self.eval_items():
            yield item.prompt
            if item.answer:
                yield item.answer

    def lexicon(self) -> frozenset[str]:
        """Every lowercase word (``[a-z]+`` on the lowercased text) of ``corpus_text()``."""
        return frozenset(w for text in self.corpus_text() for w in words(text))
