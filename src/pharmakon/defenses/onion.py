"""ONION (Qi et al. 2021, https://arxiv.org/abs/2011.10369): outlier words found by the perplexity they cost.

A word-level trigger (a rare token like ``cf``) makes fluent text less fluent; removing it lowers the perplexity
a clean language model assigns. For each distinct whitespace-separated word of a text, the suspicion score is the
drop in log-perplexity (mean NLL, nats per token) when every occurrence of that word is removed; a word whose
suspicion exceeds ``threshold`` is an outlier. ONION used the drop in perplexity itself; its log makes one
threshold serve texts of any fluency. As a data filter, a record with an outlier word is dropped (the reason names
the word); ``strip_outliers`` is ONION's original use: the text without its outlier words.

The threshold depends on the reference model: calibrate it on clean data (``suspicion`` gives the scores).
"""

from __future__ import annotations

from pharmakon.data.records import Record
from pharmakon.defenses.base import KEEP, Decision, Defense, drop, record_text
from pharmakon.defenses.configs import OnionConfig
from pharmakon.defenses.perplexity import mean_nll


def candidates(words: list[str], limit: int) -> list[str]:
    """The first ``limit`` distinct words, in order of appearance."""
    return list(dict.fromkeys(words))[:limit]


class Onion(Defense):
    """Drop records holding an outlier word under ``reference`` (a ``(model, tokenizer)`` pair)."""

    name = "onion"

    def __init__(self, config: OnionConfig | None = None, *, reference=None, **params) -> None:
        self.config = config or OnionConfig(**params)
        if reference is None:
            raise ValueError("onion: needs a reference (model, tokenizer) to score words with")
        self.model, self.tokenizer = reference

    def _nll(self, texts: list[str]):
        return mean_nll(self.model, self.tokenizer, texts, batch_size=self.config.batch_size,
                        max_tokens=self.config.max_tokens)

    def suspicion(self, texts: list[str]) -> list[dict[str, float]]:
        """For each text, ``{word: log-perplexity drop when the word is removed}`` over its candidate words.

        All variants of all texts are scored in one batched pass."""
        variants: list[str] = []
        spans: list[tuple[int, list[str]]] = []
        for text in texts:
            words = text.split()
            chosen = candidates(words, self.config.max_words) if len(words) > 1 else []
            spans.append((len(variants), chosen))
            variants.append(" ".join(words))
            variants += [" ".join(w for w in words if w != word) for word in chosen]
        nll = self._nll(variants)
        out = []
        for start, chosen in spans:
            base = nll[start]
            out.append({w: float(base - nll[start + 1 + k]) for k, w in enumerate(chosen)})
        return out

    def outliers(self, texts: list[str]) -> list[list[tuple[str, float]]]:
        """For each text, its outlier words with their scores, most suspicious first."""
        return [sorted(((w, s) for w, s in scores.items() if s > self.config.threshold), key=lambda ws: -ws[1])
                for scores in self.suspicion(texts)]

    def strip_outliers_batch(self, texts: list[str]) -> list[str]:
        """Each text without its outlier words (whitespace normalised), as ONION cleans a test input."""
        out = []
        for text, found in zip(texts, self.outliers(texts), strict=True):
            bad = {w for w, _ in found}
            out.append(" ".join(w for w in text.split() if w not in bad))
        return out

    def strip_outliers(self, text: str) -> str:
        """``text`` without its outlier words."""
        return self.strip_outliers_batch([text])[0]

    def decide(self, records: list[Record]) -> list[Decision]:
        found = self.outliers([record_text(r) for r in records])
        return [drop(f"outlier-word: {words[0][0]!r} lowers log-perplexity by {words[0][1]:.2f} "
                     f"> {self.config.threshold:g}") if words else KEEP for words in found]
