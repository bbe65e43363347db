"""Run a study with a design search: the search study on its seeds, the selection, the report study on the
study's own seeds, through one cache (shared prefixes are computed once). The run dir holds both phases' rows in
one results table (the seeds tell them apart), the selection in ``search.json``, and each phase's own run dir
(``search/``, ``report/``; ``search/round-<i>/`` for successive halving).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pharmakon.data.io import atomic_write_bytes, write_table_atomic
from pharmakon.engine.load import validate
from pharmakon.engine.plan import grid
from pharmakon.engine.run import RunOutcome, choose_run_dir, run_study, spec_yaml
from pharmakon.engine.search_spec import searched_after
from pharmakon.engine.spec import Study
from pharmakon.errors import PharmakonError
from pharmakon.kernel.cache import Cache, check_writable
from pharmakon.kernel.progress import StudyProgress
from pharmakon.report import build_report
from pharmakon.report.environment import environment
from pharmakon.studies.search import baseline_of, effects, group_of, halving_keep, ranking, select


def run_spec(study: Study, out: Path | None = None, cache: Cache | Path | str | None = None,
             progress: StudyProgress | None = None) -> RunOutcome:
    """Run ``study``: with its search when it has one, else as a plain study."""
    if study.search is None:
        return run_study(study, out, cache, progress)
    return run_search(study, out, cache, progress)


def phase(study: Study, seeds: list[int], arms: list[str], searching: bool) -> Study:
    """The study without its search, on ``seeds``, with only ``arms``. The search phase skips the held-out stages
    and probes only what it selects by; the report adds each arm's variants (``<arm>+<variant>``: the arm's
    changes, then the variant's) and probes as the study says."""
    data = study.model_dump(mode="json")
    data.pop("search", None)
    data["seeds"] = seeds
    data["sweep"]["arms"] = {arm: data["sweep"]["arms"][arm] for arm in arms}
    if not searching:
        for arm in arms:
            for name, changes in study.search.variants.items():
                data["sweep"]["arms"][f"{arm}+{name}"] = {**data["sweep"]["arms"][arm], **changes}
    if searching:  # the search reads one metric after one stage: only that probe runs, only there
        data["probes"] = [{**probe, "after": [searched_after(study)]} for probe in data["probes"]
                          if probe["name"] == study.search.probe]
        for stage in data["pipeline"]:
            if stage["name"] in study.search.hold_out:
                stage["skip"] = True
    return validate(data)


def check_report(study: Study) -> None:
    """Refuse now, before any round runs, a report phase that cannot be planned: every arm with every variant
    applied (an unknown defence in a variant would otherwise stop the study after its whole search)."""
    try:
        grid(phase(study, study.seeds, list(study.sweep.arms), False))
    except PharmakonError as exc:
        raise PharmakonError(f"search.variants: {exc}") from None


def search_rounds(study: Study, root: Path, cache: Cache, progress: StudyProgress
                  ) -> tuple[pd.DataFrame, list, list[RunOutcome]]:
    """The search phase's results and its rounds (arms and seeds of each): one round for a grid; for successive
    halving, every arm on the first seed, then the better half on the next seed, until one seed is left."""
    search, arms = study.search, list(study.sweep.arms)
    if search.method == "grid":
        outcome = run_study(phase(study, search.seeds, arms, True), root, cache, progress)
        return outcome.results, [{"arms": arms, "seeds": search.seeds}], [outcome]
    frames, rounds, outcomes = [], [], []
    for i, seed in enumerate(search.seeds):
        outcome = run_study(phase(study, [seed], arms, True), root / f"round-{i}", cache, progress)
        frames.append(outcome.results)
        outcomes.append(outcome)
        rounds.append({"arms": arms, "seeds": [seed]})
        so_far = effects(pd.concat(frames, ignore_index=True), probe=search.probe, metric=search.metric,
                         after=searched_after(study), seeds=search.seeds[: i + 1])
        arms = halving_keep(so_far[so_far["arm"].isin(arms)], search.baseline)
        arms += [b for b in (baseline_of(g, search.baseline) for g in dict.fromkeys(map(group_of, arms)))
                 if b not in arms]
    return pd.concat(frames, ignore_index=True), rounds, outcomes


def run_search(study: Study, out: Path | None, cache: Cache | Path | str | None,
               progress: StudyProgress | None) -> RunOutcome:
    """Search on ``search.seeds``, select each group's best arm, report it and the baseline on ``seeds``."""
    check_report(study)
    tick = time.perf_counter()
    cache = cache if isinstance(cache, Cache) else Cache(cache)
    progress = progress or StudyProgress()
    run_dir = choose_run_dir(study, out)
    check_writable(run_dir, "out")
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(run_dir / "spec.yaml", spec_yaml(study).encode())  # a killed search resumes here
    search = study.search
    found, rounds, outcomes = search_rounds(study, run_dir / "search", cache, progress)
    table = effects(found, probe=search.probe, metric=search.metric, after=searched_after(study),
                    seeds=search.seeds)
    if search.method == "halving":  # the selection reads the last round's survivors only
        table = table[table["arm"].isin(rounds[-1]["arms"])]
    chosen = select(table, search.baseline)
    reported = list(dict.fromkeys(a for g, best in chosen.items() for a in (best, baseline_of(g, search.baseline))))
    report = run_study(phase(study, study.seeds, reported, False), run_dir / "report", cache, progress)
    results = pd.concat([found, report.results], ignore_index=True)
    parts = [*sorted(run_dir.glob("search/**/generations.parquet")), run_dir / "report" / "generations.parquet"]
    generations = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    write_table_atomic(pa.Table.from_pandas(results, preserve_index=False), run_dir / "results.parquet")
    write_table_atomic(pa.Table.from_pandas(generations, preserve_index=False), run_dir / "generations.parquet")
    selection = {"after": searched_after(study), "probe": search.probe, "metric": search.metric,
                 "search_seeds": search.seeds, "report_seeds": study.seeds, "rounds": rounds, "chosen": chosen,
                 "ranking": ranking(table, search.baseline).to_dict(orient="records")}
    atomic_write_bytes(run_dir / "search.json", json.dumps(selection, indent=1, default=str).encode())
    seconds = time.perf_counter() - tick
    meta = {"study": study.name, "axes": study.sweep.columns, "executor": study.executor.kind,
            "cache": str(cache.root), "environment": environment(), "seconds": round(seconds, 2),
            "nodes": {"total": sum(o.total for o in [*outcomes, report]),
                      "cached": sum(o.cached for o in [*outcomes, report]),
                      "computed": sum(o.computed for o in [*outcomes, report])}}
    atomic_write_bytes(run_dir / "run.json", json.dumps(meta, indent=1).encode())
    build_report(run_dir)
    return RunOutcome(run_dir, results, meta["nodes"]["total"], meta["nodes"]["cached"], meta["nodes"]["computed"],
                      seconds)
