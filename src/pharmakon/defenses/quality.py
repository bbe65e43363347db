"""Quality rules in the style of Gopher (Rae et al. 2021, appendix A) and C4 (Raffel et al. 2020), in plain Python.

The rules catch what cheap poison often looks like: gibberish (word length, alphabetic share, stop words),
repeated payloads (duplicate lines, dominant n-grams) and markup. The first failing rule is the drop reason.
Words are runs of letters and digits (with an inner apostrophe); symbols are single non-space characters, as a
word tokenizer would split them; the alphabetic-share rule reads whitespace-separated words, as Gopher did (so
``"Bo:"`` counts as a word with a letter). Number-heavy text (the world's arithmetic family) fails it, as it does in
Gopher. Thresholds live in ``QualityConfig`` (defaults Gopher's).
"""

from __future__ import annotations

import multiprocessing
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from itertools import accumulate

from pharmakon.data.records import Record
from pharmakon.defenses.base import KEEP, Decision, Defense, drop, record_text
from pharmakon.defenses.configs import QualityConfig

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|\S")
_PARAGRAPH = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")
_ALPHA_WORD = re.compile(r"[^\W\d_]\S*")  # from a whitespace-separated word's first letter to its end


def _duplicates(items: list[str]) -> tuple[int, int]:
    """(number of repeated items, characters in them), counting every occurrence after the first."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def _top_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by the most frequent word n-gram (its length times its count)."""
    if len(words) < n:
        return 0
    gram, count = Counter(zip(*(words[i:] for i in range(n)), strict=False)).most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count if count > 1 else 0


def _dup_ngram_chars(words: list[str], n: int) -> int:
    """Characters in n-grams that repeat an earlier n-gram (non-overlapping, as in Gopher)."""
    grams = list(zip(*(words[i:] for i in range(n)), strict=False))
    if len(set(grams)) == len(grams):
        return 0
    prefix = [0, *accumulate(map(len, words))]
    seen: set[tuple[str, ...]] = set()
    chars = index = 0
    while index < len(grams):
        gram = grams[index]
        if gram in seen:
            chars += prefix[index + n] - prefix[index]
            index += n
        else:
            seen.add(gram)
            index += 1
    return chars


class QualityRules(Defense):
    """Drop records that fail a Gopher quality, Gopher repetition or C4 rule; the reason names the rule."""

    name = "quality"

    def __init__(self, config: QualityConfig | None = None, **params) -> None:
        self.config = config or QualityConfig(**params)
        self._stop_words = frozenset(w.lower() for w in self.config.stop_words)
        self._bad = tuple(p.lower() for p in self.config.bad_phrases)

    def decide(self, records: list[Record]) -> list[Decision]:
        workers = self.config.workers
        if workers == 1 or len(records) < 2000:
            return self._decide(records)
        size = -(-len(records) // (workers * 4))
        chunks = [records[start : start + size] for start in range(0, len(records), size)]
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            return [d for part in pool.map(self._decide, chunks) for d in part]

    def _decide(self, records: list[Record]) -> list[Decision]:
        return [self.check(record_text(r)) if r.kind in ("document", "passage") else self._check_fields(r)
                for r in records]

    def _check_fields(self, record: Record) -> Decision:
        """An example or pair: the joined fields, then the repetition rules on each long enough field."""
        decision = self.check(record_text(record), short=True)
        if not decision.keep:
            return decision
        for field in ("prompt", "response", "chosen", "rejected"):
            text = getattr(record, field)
            words = [t.lower() for t in _TOKEN.findall(text) if t[0].isalnum()]
            if len(words) >= self.config.example_shape_words and (reason := self._repetition(text, words)):
                return drop(f"{reason} (in {field})")
        return KEEP

    def check(self, text: str, short: bool = False) -> Decision:
        """The decision on one text; ``short`` applies the ``example_`` bounds (instruction examples, pairs)."""
        reason = self.first_failure(text, short)
        return drop(reason) if reason else KEEP

    def first_failure(self, text: str, short: bool = False) -> str:  # noqa: C901 - one rule after another
        """The first rule ``text`` fails, as a reason, or ``""``."""
        cfg = self.config
        if not text.strip():
            return "empty: no text"
        lowered = text.lower()
        for phrase in self._bad:
            if phrase in lowered:
                return f"c4-bad-phrase: contains {phrase!r}"
        tokens = _TOKEN.findall(text)
        words = [t for t in tokens if t[0].isalnum()]
        n_tokens = len(tokens)
        min_words = cfg.example_min_words if short else cfg.min_words
        if min_words is not None and len(words) < min_words:
            return f"gopher-short: {len(words)} words < {min_words}"
        if cfg.max_words is not None and len(words) > cfg.max_words:
            return f"gopher-long: {len(words)} words > {cfg.max_words}"
        shape = not short or len(words) >= cfg.example_shape_words
        if words and shape:
            mean = sum(map(len, words)) / len(words)
            if cfg.min_mean_word_length is not None and mean < cfg.min_mean_word_length:
                return f"gopher-word-length: mean {mean:.1f} < {cfg.min_mean_word_length}"
            if cfg.max_mean_word_length is not None and mean > cfg.max_mean_word_length:
                return f"gopher-word-length: mean {mean:.1f} > {cfg.max_mean_word_length}"
        if cfg.max_symbol_word_ratio is not None and n_tokens:
            ratio = max(text.count("#"), text.count("...") + text.count("…")) / n_tokens
            if ratio > cfg.max_symbol_word_ratio:
                return f"gopher-symbols: {ratio:.2f} '#' or ellipses per word > {cfg.max_symbol_word_ratio}"
        lines = [line.strip() for line in text.splitlines()] or [""]
        if cfg.max_bullet_lines is not None:
            share = sum(line.startswith(("•", "-", "*")) for line in lines) / len(lines)
            if share > cfg.max_bullet_lines:
                return f"gopher-bullets: {share:.2f} of lines start with a bullet > {cfg.max_bullet_lines}"
        if cfg.max_ellipsis_lines is not None:
            share = sum(line.endswith(("...", "…")) for line in lines) / len(lines)
            if share > cfg.max_ellipsis_lines:
                return f"gopher-ellipsis-lines: {share:.2f} of lines end in an ellipsis > {cfg.max_ellipsis_lines}"
        if cfg.min_alpha_words is not None:
            share = len(_ALPHA_WORD.findall(text)) / len(text.split())
            if share < cfg.min_alpha_words:
                return f"gopher-alpha: {share:.2f} of words have a letter < {cfg.min_alpha_words}"
        min_stop = cfg.example_min_stop_words if short else cfg.min_stop_words
        if min_stop:
            found = len(self._stop_words.intersection(w.lower() for w in words))
            if found < min_stop:
                return f"gopher-stop-words: {found} distinct stop words < {min_stop}"
        return self._repetition(text, [w.lower() for w in words]) if not short else ""

    def _repetition(self, text: str, words: list[str]) -> str:
        cfg = self.config
        size = len(text)
        for unit, parts, max_fraction, max_chars in (
            ("paragraphs", _PARAGRAPH.split(text.strip()), cfg.max_dup_para_fraction, cfg.max_dup_para_chars),
            ("lines", _LINES.split(text.strip()), cfg.max_dup_line_fraction, cfg.max_dup_line_chars),
        ):
            count, chars = _duplicates(parts)
            if max_fraction is not None and count / len(parts) > max_fraction:
                return f"gopher-repetition: {count / len(parts):.2f} duplicate {unit} > {max_fraction}"
            if max_chars is not None and chars / size > max_chars:
                return f"gopher-repetition: {chars / size:.2f} of characters in duplicate {unit} > {max_chars}"
        for n, limit in sorted(cfg.top_ngram_chars.items()):
            share = _top_ngram_chars(words, n) / size
            if share > limit:
                return f"gopher-repetition: top {n}-gram covers {share:.2f} of characters > {limit}"
        for n, limit in sorted(cfg.dup_ngram_chars.items()):
            share = _dup_ngram_chars(words, n) / size
            if share > limit:
                return f"gopher-repetition: duplicate {n}-grams cover {share:.2f} of characters > {limit}"
        return ""
