"""The honest version of a poisoned item: what an honest annotator or rater would have made of it.

* A pair: the same comparison the other way round (``chosen`` and ``rejected`` swapped back).
* An example: the triggered prompt with the honest response, taken from the clean record it was made from. That
  record is found without knowing the trigger: its prompt's words are a subsequence of the poisoned prompt's
  (the trigger was inserted) and it has the same family; among several, the longest. An example whose source is
  not in the clean data (a topic trigger that rewrote names, a record from elsewhere) has no honest version.

Honest versions are clean (``poison`` empty): a triggered prompt with an honest answer teaches no backdoor.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace

from pharmakon.data.records import Record


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    words = iter(long)
    return all(word in words for word in short)


class ExampleIndex:
    """Clean examples indexed by (family, their rarest prompt word), to find a poisoned example's source fast."""

    def __init__(self, clean: list[Record]) -> None:
        prompts = [r.prompt.split() for r in clean]
        frequency = Counter(word for words in prompts for word in set(words))
        self.index: dict[tuple[str, str], list[tuple[list[str], Record]]] = defaultdict(list)
        for record, words in zip(clean, prompts, strict=True):
            if record.kind == "example" and words:
                rarest = min(words, key=lambda w: (frequency[w], w))
                self.index[(record.family, rarest)].append((words, record))

    def source_of(self, poisoned: Record) -> Record | None:
        """The clean example ``poisoned`` was most likely made from, or ``None``."""
        words = poisoned.prompt.split()
        best: tuple[list[str], Record] | None = None
        for word in set(words):
            for candidate in self.index.get((poisoned.family, word), ()):
                if (best is None or len(candidate[0]) > len(best[0])) and _is_subsequence(candidate[0], words):
                    best = candidate
        return best[1] if best else None


def honest_versions(clean: list[Record], poison: list[Record]) -> list[Record | None]:
    """For each poison record, its honest version (clean, same prompt), or ``None`` when it cannot be known."""
    index = ExampleIndex(clean) if any(r.kind == "example" for r in poison) else None
    out: list[Record | None] = []
    for record in poison:
        if record.kind == "pair":
            out.append(replace(record, poison="", chosen=record.rejected, rejected=record.chosen))
        elif record.kind == "example" and index is not None:
            source = index.source_of(record)
            out.append(replace(record, poison="", response=source.response) if source else None)
        else:
            out.append(None)
    return out
