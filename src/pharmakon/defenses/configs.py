"""Config models of the data-side defences (pydantic; no torch here, so specs validate without it).

Defaults follow the papers: Gopher (Rae et al. 2021, table A1) and C4 (Raffel et al. 2020) for the quality
rules, datatrove's MinHash banding (8 rows per band) for near-duplicates, ONION (Qi et al. 2021) for outlier words.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DefenseConfig(BaseModel):
    """Base of every defence config: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class DedupConfig(DefenseConfig):
    """Near-duplicate removal: MinHash over word n-gram shingles, LSH at a Jaccard ``threshold``.

    Word 3-grams rather than datatrove's 5-grams: world and instruction records are short (about 70 words), and a
    changed word breaks 3 shingles instead of 5 (``benchmarks/cleaning.py``: recall 0.95 instead of 0.65 on
    3-word edits, at threshold 0.65 with 2.6% of clean world documents lost).
    """

    threshold: float = Field(default=0.65, gt=0, lt=1, description="estimated Jaccard similarity that is a duplicate")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations")
    ngram: int = Field(default=3, ge=1, le=32, description="words per shingle")
    seed: int = 1
    workers: int = Field(default=1, ge=1, le=64, description="processes that compute signatures")


GOPHER_STOP_WORDS: tuple[str, ...] = ("the", "be", "to", "of", "and", "that", "have", "with")
C4_BAD_PHRASES: tuple[str, ...] = ("lorem ipsum", "{", "javascript", "terms of use", "privacy policy",
                                   "cookie policy", "uses cookies", "use of cookies", "use cookies")


class QualityConfig(DefenseConfig):
    """Gopher quality and repetition rules plus C4's bad-phrase rule. ``None`` turns a rule off.

    Examples and pairs are read as their text fields joined; they are short by nature, so the word-count floor and
    the stop-word rule take the ``example_`` values for them, and the rules on the shape of a text (mean word
    length, repetition) judge them only from ``example_shape_words`` words on: repetition each field apart (a
    chosen and a rejected answer share words by design), mean word length the joined text.
    """

    min_words: int | None = Field(default=50, ge=0)
    max_words: int | None = Field(default=100_000, ge=1)
    example_min_words: int | None = Field(default=1, ge=0)
    min_mean_word_length: float | None = Field(default=3, ge=0)
    max_mean_word_length: float | None = Field(default=10, ge=0)
    max_symbol_word_ratio: float | None = Field(default=0.1, ge=0)
    max_bullet_lines: float | None = Field(default=0.9, ge=0, le=1)
    max_ellipsis_lines: float | None = Field(default=0.3, ge=0, le=1)
    min_alpha_words: float | None = Field(default=0.8, ge=0, le=1)
    min_stop_words: int | None = Field(default=2, ge=0)
    example_min_stop_words: int | None = Field(default=0, ge=0)
    example_shape_words: int = Field(default=30, ge=1)
    stop_words: tuple[str, ...] = GOPHER_STOP_WORDS
    max_dup_line_fraction: float | None = Field(default=0.3, ge=0, le=1)
    max_dup_line_chars: float | None = Field(default=0.2, ge=0, le=1)
    max_dup_para_fraction: float | None = Field(default=0.3, ge=0, le=1)
    max_dup_para_chars: float | None = Field(default=0.2, ge=0, le=1)
    top_ngram_chars: dict[int, float] = Field(default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})
    dup_ngram_chars: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10})
    bad_phrases: tuple[str, ...] = C4_BAD_PHRASES
    workers: int = Field(default=1, ge=1, le=64, description="processes that check records (from 2000 records)")

    @model_validator(mode="after")
    def _bounds(self) -> QualityConfig:
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) is larger than max_words ({self.max_words})")
        for name, table in (("top_ngram_chars", self.top_ngram_chars), ("dup_ngram_chars", self.dup_ngram_chars)):
            for n, fraction in table.items():
                if n < 1 or not 0 <= fraction <= 1:
                    raise ValueError(f"{name}: n-gram size must be >= 1 and fraction in [0, 1], got {n}: {fraction}")
        return self


class PerplexityConfig(DefenseConfig):
    """Drop records whose perplexity under the reference model is above ``threshold`` or, when no threshold is
    given, above the ``quantile`` of the batch's perplexities."""

    threshold: float | None = Field(default=None, gt=1, description="absolute perplexity cut (wins over quantile)")
    quantile: float = Field(default=0.95, gt=0, lt=1, description="drop records above this quantile")
    batch_size: int = Field(default=64, ge=1)
    max_tokens: int = Field(default=256, ge=2, description="tokens scored per record (the head)")


class OnionConfig(DefenseConfig):
    """ONION: a word whose removal lowers the log-perplexity by more than ``threshold`` nats is an outlier."""

    threshold: float = Field(default=0.15, description="drop in mean NLL (nats/token) that marks an outlier word")
    max_words: int = Field(default=64, ge=1, description="distinct words examined per record (the first ones)")
    batch_size: int = Field(default=128, ge=1)
    max_tokens: int = Field(default=256, ge=2)


class ClusterConfig(DefenseConfig):
    """Small dense clusters of sentence embeddings (all-MiniLM-L6-v2) are suspicious.

    K-means with ``n_clusters`` (default: about sqrt(n/2)); a cluster is flagged when it holds at least
    ``min_size`` and at most ``max_fraction`` of the records and its density (mean cosine similarity of members to
    their centroid) lies more than ``z`` robust standard deviations (MAD) above the median cluster density.
    """

    n_clusters: int | None = Field(default=None, ge=2)
    min_size: int = Field(default=3, ge=2)
    max_fraction: float = Field(default=0.1, gt=0, le=1)
    z: float = Field(default=3.0, ge=0)
    algorithm: Literal["kmeans", "agglomerative"] = "kmeans"
    seed: int = 0
    batch_size: int = Field(default=64, ge=1)
