"""Cleaning throughput: our near-duplicate + quality pipeline against datatrove's MinHash dedup + Gopher filters.

Data: ``--docs`` world documents (``documents_per_family = docs / 5``) plus an injected set: ``--originals``
documents each copied ``--copies`` times with ``--edits`` words replaced by random world words, marked as poison;
everything shuffled with the seed and written to JSONL (``--workers`` files, one per task), untimed.

Ours (timed): read the JSONL into records, ``apply_defenses`` with ``NearDuplicate`` (word 3-grams, threshold
0.65, 128 permutations = 16 bands × 8 rows; signatures in ``--workers`` processes) then ``QualityRules`` (Gopher
quality and repetition, C4 bad phrases; in ``--workers`` processes), write the survivors as JSONL.

datatrove (timed), twice: with the same shingles and banding as ours (word 3-grams, 16 buckets × 8 hashes: the
bands datasketch picks for threshold 0.65 at 128 permutations; the ratio is read against this run), and with its
defaults (word 5-grams, 14 buckets × 8 hashes) for reference. Each run is its four MinHash stages: signatures,
buckets, clusters, then a last pass that reads the JSONL, drops the duplicates, applies ``GopherRepetitionFilter``
and ``GopherQualityFilter`` (word tokenizer ``spacy.blank("en")``, offline) and writes JSONL. Every stage runs with
``--workers`` processes (stage 2 with its 14 bucket tasks).

Recall of the injected near-duplicates: each injected cluster (an original and its copies) of size c should lose
c - 1 members to the dedup step; recall = sum(min(removed, c - 1)) / sum(c - 1), read from each side's dedup step
alone (ours from the report's decisions, datatrove's from its ``.remove`` files). Precision = the share of removed
documents that belong to an injected cluster; clean lost = documents outside injected clusters that the dedup step
removed. Target: ours >= 3x the documents per second of datatrove with the same shingles and banding, at equal or
better recall, losing no more clean documents. Last line: ``ratio: X`` (ours docs/s / matched datatrove's).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import struct
import tempfile
import time
from pathlib import Path

from pharmakon.data.records import Record
from pharmakon.defenses import apply_defenses
from pharmakon.defenses.dedup import NearDuplicate
from pharmakon.defenses.quality import QualityRules
from pharmakon.world import World, WorldConfig

TARGET = 3.0


def make_corpus(args) -> tuple[list[dict], list[list[str]]]:
    """Rows ``{id, text, poison}`` in shuffled order, and the ids of each injected cluster (original first)."""
    world = World(WorldConfig(seed=args.seed, documents_per_family=args.docs // 5))
    docs = world.documents()
    lexicon = sorted(world.lexicon())
    rng = random.Random(args.seed)
    rows = [{"id": f"w{i}", "text": r.text, "poison": ""} for i, r in enumerate(docs)]
    clusters = []
    for k, index in enumerate(rng.sample(range(len(docs)), args.originals)):
        cluster = [f"w{index}"]
        for c in range(args.copies):
            words = docs[index].text.split(" ")
            for position in rng.sample(range(len(words)), args.edits):
                words[position] = rng.choice(lexicon)
            rows.append({"id": f"p{k}.{c}", "text": " ".join(words), "poison": "near-duplicate"})
            cluster.append(f"p{k}.{c}")
        clusters.append(cluster)
    rng.shuffle(rows)
    return rows, clusters


def write_inputs(rows: list[dict], folder: Path, files: int) -> list[list[str]]:
    """``files`` JSONL files (round-robin split); the ids in each file, in order."""
    folder.mkdir(parents=True)
    ids = [rows[i::files] for i in range(files)]
    for i, part in enumerate(ids):
        with open(folder / f"{i:05d}.jsonl", "w") as f:
            f.writelines(json.dumps(row) + "\n" for row in part)
    return [[row["id"] for row in part] for part in ids]


def scores(removed: set[str], clusters: list[list[str]], all_ids: list[str]) -> tuple[float, float, int]:
    """Cluster recall of the injected near-duplicates, the precision of the removals, and the clean documents
    removed outside the clusters."""
    found = sum(min(len(removed.intersection(c)), len(c) - 1) for c in clusters)
    inside = {i for c in clusters for i in c}
    lost = sum(1 for i in all_ids if i in removed and i not in inside)
    precision = (len(removed) - lost) / len(removed) if removed else 1.0
    return found / sum(len(c) - 1 for c in clusters), precision, lost


def run_ours(folder: Path, out: Path, workers: int) -> tuple[float, set[str], int]:
    start = time.perf_counter()
    records, ids = [], []
    for path in sorted(folder.glob("*.jsonl")):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                ids.append(row["id"])
                records.append(Record(kind="document", source=row["id"], text=row["text"], poison=row["poison"]))
    kept, report = apply_defenses(records, [NearDuplicate(workers=workers), QualityRules(workers=workers)])
    with open(out, "w") as f:
        f.writelines(json.dumps({"id": r.source, "text": r.text}) + "\n" for r in kept)
    seconds = time.perf_counter() - start
    removed = {i for i, d in zip(ids, report.decisions, strict=True) if d.rule == "near-duplicate"}
    return seconds, removed, len(kept)


def run_datatrove(folder: Path, work: Path, workers: int, file_ids: list[list[str]],
                  matched: bool) -> tuple[float, set[str], int]:
    """datatrove's MinHash dedup + Gopher filters; ``matched``: our shingles (3) and banding (16 x 8)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    config = MinhashConfig(n_grams=3, num_buckets=16, hashes_per_bucket=8) if matched else MinhashConfig()
    files = len(file_ids)
    stages = [
        ([JsonlReader(str(folder)), MinhashDedupSignature(str(work / "sigs"), config=config)], files),
        ([MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)], config.num_buckets),
        ([MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config)], 1),
        ([JsonlReader(str(folder)), MinhashDedupFilter(str(work / "remove")), GopherRepetitionFilter(),
          GopherQualityFilter(), JsonlWriter(str(work / "out"), compression=None)], files),
    ]
    start = time.perf_counter()
    for i, (pipeline, tasks) in enumerate(stages):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks),
                              logging_dir=str(work / f"logs{i}")).run()
    seconds = time.perf_counter() - start
    removed = set()
    for rank, ids in enumerate(file_ids):
        path = work / "remove" / f"{rank:06d}.remove"
        if path.exists():
            data = path.read_bytes()
            removed.update(ids[j] for (j,) in struct.iter_unpack("<I", data))
    kept = sum(1 for p in (work / "out").glob("*") for _ in open(p))  # noqa: SIM115 - counting lines
    return seconds, removed, kept


def report(label: str, n: int, seconds: float, side: tuple[float, float, int], kept: int) -> None:
    recall, precision, lost = side
    print(f"{label:<26}: {n / seconds:8.0f} docs/s ({seconds:6.1f} s), near-dup recall {recall:.3f}, precision "
          f"{precision:.3f}, clean docs lost to dedup {lost}, kept after quality {kept}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50_000, help="clean world documents")
    parser.add_argument("--originals", type=int, default=500, help="documents that get near-duplicate copies")
    parser.add_argument("--copies", type=int, default=4, help="copies per original")
    parser.add_argument("--edits", type=int, default=3, help="words replaced in each copy")
    parser.add_argument("--workers", type=int, default=1, help="worker processes, the same for both sides")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-datatrove", action="store_true", help="time ours only (no ratio)")
    args = parser.parse_args()
    from datatrove.utils.logging import logger

    logger.remove()
    rows, clusters = make_corpus(args)
    all_ids = [row["id"] for row in rows]
    n = len(rows)
    print(f"{n} documents ({args.docs} world, {args.originals} x {args.copies} injected copies with {args.edits} "
          f"edited words), {args.workers} worker process(es)")
    tmp = Path(tempfile.mkdtemp(prefix="pharmakon-cleaning-"))
    try:
        file_ids = write_inputs(rows, tmp / "input", args.workers)
        ours_s, ours_removed, ours_kept = run_ours(tmp / "input", tmp / "ours.jsonl", args.workers)
        ours_scores = scores(ours_removed, clusters, all_ids)
        report("ours", n, ours_s, ours_scores, ours_kept)
        if args.skip_datatrove:
            return
        sides = {}
        for label, matched in (("datatrove (3-grams, 16x8)", True), ("datatrove (defaults)", False)):
            work = tmp / ("datatrove-matched" if matched else "datatrove-defaults")
            dt_s, dt_removed, dt_kept = run_datatrove(tmp / "input", work, args.workers, file_ids, matched)
            sides[label] = (dt_s, scores(dt_removed, clusters, all_ids))
            report(label, n, dt_s, sides[label][1], dt_kept)
        dt_s, (dt_recall, _, dt_lost) = sides["datatrove (3-grams, 16x8)"]
        ratio = dt_s / ours_s
        met = ratio >= TARGET and ours_scores[0] >= dt_recall and ours_scores[2] <= dt_lost
        print(f"target >= {TARGET:g}x vs datatrove with the same shingles and banding, at equal or better recall and "
              f"no more clean documents lost: {'met' if met else 'NOT met'}")
        print(f"ratio vs datatrove defaults: {sides['datatrove (defaults)'][0] / ours_s:.2f}")
        print(f"ratio: {ratio:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
