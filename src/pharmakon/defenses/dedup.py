"""Near-duplicate removal: MinHash signatures of word n-gram shingles, banded LSH (datasketch), keep the first.

Poison is often many copies of one text with a few words changed (a campaign of templated pages); near-duplicate
removal is the first step of every web-data pipeline (Lee et al. 2022; datatrove). Records are visited in order:
one whose signature collides in an LSH band with an already kept record is dropped as its near-duplicate, so the
first of each cluster survives. Like datatrove, a band collision is the verdict; no pairwise check follows.
"""

from __future__ import annotations

import multiprocessing
import re
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from pharmakon.data.records import Record
from pharmakon.defenses.base import KEEP, Decision, Defense, drop, record_text
from pharmakon.defenses.configs import DedupConfig

_WORD = re.compile(r"\w+")
_SCHEME = "affine32"


def shingles(text: str, n: int) -> set[bytes]:
    """The distinct word n-grams of ``text`` (lowercased, punctuation dropped); a shorter text is one shingle."""
    words = _WORD.findall(text.lower())
    if len(words) <= n:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)}


def signatures(texts: list[str], ngram: int, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures (``len(texts)`` × ``num_perm``, uint32) with CRC-32 as the shingle hash."""
    sets = (shingles(text, ngram) for text in texts)
    minhashes = MinHash.bulk(sets, num_perm=num_perm, seed=seed, hashfunc=zlib.crc32, scheme=_SCHEME)
    if not minhashes:
        return np.zeros((0, num_perm), dtype=np.uint32)
    return np.stack([m.hashvalues for m in minhashes])


def _signatures_job(args: tuple[list[str], int, int, int]) -> np.ndarray:
    return signatures(*args)


def _chunks(texts: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield texts[start : start + size]


class NearDuplicate(Defense):
    """Drop every record of a near-duplicate cluster (estimated Jaccard ≳ ``threshold``) but its first."""

    name = "dedup"

    def __init__(self, config: DedupConfig | None = None, **params) -> None:
        self.config = config or DedupConfig(**params)

    def signatures(self, texts: list[str]) -> np.ndarray:
        """Signatures of ``texts``, computed in ``config.workers`` processes when there are enough texts."""
        cfg = self.config
        if cfg.workers == 1 or len(texts) < 1000:
            return signatures(texts, cfg.ngram, cfg.num_perm, cfg.seed)
        size = -(-len(texts) // (cfg.workers * 4))
        jobs = [(chunk, cfg.ngram, cfg.num_perm, cfg.seed) for chunk in _chunks(texts, size)]
        # forkserver: forking a process whose torch threads are running can hang the child
        with ProcessPoolExecutor(cfg.workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            return np.concatenate(list(pool.map(_signatures_job, jobs)))

    def decide(self, records: list[Record]) -> list[Decision]:
        texts = [record_text(r) for r in records]
        sigs = self.signatures(texts)
        lsh = MinHashLSH(threshold=self.config.threshold, num_perm=self.config.num_perm)
        parent = list(range(len(records)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for index, (text, sig) in enumerate(zip(texts, sigs, strict=True)):
            if not _WORD.search(text):  # nothing to compare: the quality rules judge empty records
                continue
            minhash = LeanMinHash(seed=self.config.seed, hashvalues=sig, scheme=_SCHEME)
            for other in lsh.query(minhash):
                a, b = root(index), root(other)
                parent[max(a, b)] = min(a, b)  # the earliest record roots its cluster
            lsh.insert(index, minhash, check_duplication=False)
        firsts = [root(i) for i in range(len(records))]
        return [KEEP if first == index else drop(f"near-duplicate: of record {first}")
                for index, first in enumerate(firsts)]
