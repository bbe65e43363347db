"""The ``pharmakon`` command line: run, resume, show and report studies; export a stage's data; list what is
registered; the cache."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pharmakon.cli_errors import OneLineGroup, check_tables, fail, one_line
from pharmakon.errors import PharmakonError

app = typer.Typer(help="pharmakon: data poisoning across the LLM lifecycle, as threat, remedy and probe.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, cls=OneLineGroup)
cache_app = typer.Typer(help="The node cache: list, measure, collect garbage.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")
data_app = typer.Typer(help="Datasets: export what a stage trains on, poison and provenance included.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")
foundation_app = typer.Typer(help="Foundations: the clean pretrained organism, built once and shipped.",
                             no_args_is_help=True)
app.add_typer(foundation_app, name="foundation")
console = Console()

CacheOption = Annotated[Path | None, typer.Option("--cache", help="cache dir; default $PHARMAKON_CACHE or "
                                                                  "the user cache dir")]
StudyArgument = Annotated[str, typer.Argument(help="a preset name (see `pharmakon list studies`) or a .yaml spec")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="override a field: path=value (YAML value), "
                                                                   "e.g. pipeline.dpo.beta=0.2; repeatable")]
SeedOption = Annotated[int | None, typer.Option(help="shorthand for --set seeds=[N]")]


def _cache(path: Path | None):
    from pharmakon.kernel.cache import Cache

    return Cache(path)


@app.command()
def run(
    study: StudyArgument,
    set_: SetOption = None,
    seed: SeedOption = None,
    out: Annotated[Path | None, typer.Option(help="run dir; default runs/<study>-<YYYYmmdd-HHMMSS>/")] = None,
    cache: CacheOption = None,
    executor: Annotated[str | None, typer.Option(help="local or ray (shorthand for --set executor.kind=...)")] = None,
    address: Annotated[str | None, typer.Option(help="Ray cluster address to join (else a local instance)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print nodes total / cached / to run; run nothing")]
    = False,
) -> None:
    """Run a study: plan its nodes, compute what the cache lacks, write results, generations and a report."""
    from pharmakon.engine.load import load_study

    sets = list(set_ or [])
    if executor is not None:
        sets.append(f"executor.kind={executor}")
    if address is not None:
        sets.append(f"executor.address={address}")
    with one_line():
        spec = load_study(study, sets=sets, seed=seed)
        _run(spec, out, cache, dry_run)


def _run(spec, out: Path | None, cache: Path | None, dry_run: bool) -> None:
    from pharmakon.engine.plan import plan_study
    from pharmakon.engine.search import check_report, run_spec
    from pharmakon.engine.show import summary_tables

    store = _cache(cache)
    if dry_run:
        if spec.search is not None:  # a run checks it in run_search; a dry run plans without searching
            check_report(spec)
        plan = plan_study(spec)
        kinds = Counter(node.kind for node in plan.nodes.values() if not store.complete(node.key))  # to run
        cached = len(plan.nodes) - kinds.total()
        console.print(f"{spec.name}: {len(plan.points)} grid points × {len(spec.seeds)} seeds × "
                      f"{len(spec.conditions)} conditions", highlight=False)
        console.print(f"nodes total {len(plan.nodes)} / cached {cached} / to run {len(plan.nodes) - cached}  "
                      f"({', '.join(f'{k} {v}' for k, v in kinds.items()) or 'nothing'})", highlight=False)
        console.print(f"cache: {store.root}", highlight=False, soft_wrap=True)
        return
    outcome = run_spec(spec, out, store)
    wide = Console(width=max(console.width, 160))
    for table in summary_tables(outcome.results, spec.sweep.columns):
        wide.print(table)
    console.print(f"nodes: {outcome.total} ({outcome.cached} cached, {outcome.computed} computed) in "
                  f"{outcome.seconds:.1f}s\nresults: {outcome.run_dir / 'results.parquet'}\n"
                  f"report: {outcome.run_dir / 'report.html'}", highlight=False, soft_wrap=True)  # paths never wrapped


@app.command()
def resume(
    run_dir: Annotated[Path, typer.Argument(help="the run dir of a killed or finished run")],
    cache: CacheOption = None,
) -> None:
    """Resume a run in its own dir from its spec.yaml: complete nodes are not recomputed."""
    from pharmakon.engine.load import load_study

    with one_line():
        if not (run_dir / "spec.yaml").exists():
            raise PharmakonError(f"run_dir: {run_dir} has no spec.yaml; not a run dir")
        _run(load_study(run_dir / "spec.yaml"), run_dir, cache, dry_run=False)


@app.command()
def show(run_dir: Annotated[Path, typer.Argument(help="a run dir")]) -> None:
    """Print the mean over seeds with 95% intervals, poisoned beside clean."""
    from pharmakon.engine.show import load_run, summary_tables

    with one_line():
        check_tables(run_dir)
        results, axes = load_run(run_dir)
    wide = Console(width=max(console.width, 160))
    for table in summary_tables(results, axes):
        wide.print(table)


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="a run dir")]) -> None:
    """Rebuild RUN_DIR/report.html from the run's tables."""
    from pharmakon.report import build_report

    if not (run_dir / "results.parquet").exists():
        fail(f"run_dir: {run_dir} has no results.parquet; not a run dir")
    with one_line():
        check_tables(run_dir)
        path = build_report(run_dir)
    console.print(f"report: {path}", highlight=False, soft_wrap=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a study spec (for editor completion)."""
    from pharmakon.engine.spec import study_schema

    sys.stdout.write(json.dumps(study_schema(), indent=2) + "\n")


def first_sentence(doc: str | None) -> str:
    """The first sentence of a docstring, on one line."""
    text = " ".join((doc or "").split())
    return re.split(r"\.\s+(?=[A-Z])", text)[0].rstrip(".") + "." if text else ""


@app.command("list")
def list_registered(
    what: Annotated[str | None, typer.Argument(help="models, stages, attacks, behaviours, vectors, defenses, "
                                                     "model-defenses, adaptations, probes, judges, findings or "
                                                     "studies; default all")] = None,
) -> None:
    """List tiny models, stages, attacks, behaviours, vectors, data and model defences, adaptations, probes,
    judges, findings and studies, one line each."""
    from pharmakon.defenses import DEFENSES
    from pharmakon.defenses.model import MODEL_DEFENSES
    from pharmakon.engine.load import preset_questions
    from pharmakon.inference.adaptations import ADAPTATIONS
    from pharmakon.models.real import BUILTIN_MODELS
    from pharmakon.models.sizes import TINY_CONFIGS, describe_size
    from pharmakon.poison import ATTACKS
    from pharmakon.poison.behaviours import BEHAVIOURS
    from pharmakon.poison.vectors import VECTORS
    from pharmakon.probes import PROBES
    from pharmakon.probes.context import JUDGES
    from pharmakon.registry import load_plugins, resolve
    from pharmakon.stages import STAGES
    from pharmakon.studies import FINDINGS, finding_entry

    load_plugins()
    sections = {
        "models": {name: describe_size(name) for name in TINY_CONFIGS}
        | {name: f"{m.description}; built in: {m.filename} in the package {m.distribution}"
           for name, m in BUILTIN_MODELS.items()},
        "stages": {name: entry.description for name, entry in STAGES.items()},
        "attacks": {name: f"{cls.description} (stages: {', '.join(cls.stages) or 'none, it poisons an adaptation'}; "
                           f"records: {', '.join(getattr(cls, 'record_kinds', ()))}) [{cls.paper}; {cls.url}]"
                    for name, cls in ATTACKS.items()},
        "behaviours": {name: f"{b.description} (poisons {', '.join(b.dirty_sources)}"
                              f"{'; clean label: ' + ', '.join(b.clean_sources) if b.clean_sources else ''}; "
                              f"measured on {', '.join(b.measured_on)}; judge {b.judge_name})"
                       for name, b in BEHAVIOURS.items()},
        "vectors": {name: f"{v.description} (records: {', '.join(v.record_kinds)}) [{v.paper}; {v.url}]"
                    for name, v in VECTORS.items()},
        "defenses": {name: f"{d.description}{' (scores with the stage input model)' if d.needs_reference else ''} "
                           f"[{d.paper}; {d.url}]" for name, d in DEFENSES.items()},
        "model-defenses": {name: f"{d.description} [{d.paper}; {d.url}]" for name, d in MODEL_DEFENSES.items()},
        "adaptations": {name: entry.description for name, entry in ADAPTATIONS.items()},
        "probes": {name: f"{p.description} ({', '.join(p.metrics)})" for name, p in PROBES.items()},
        # a judge's line is its class's docstring's first sentence (a plug-in factory's own docstring)
        "judges": {name: first_sentence(resolve(getattr(factory, "source", factory)).__doc__)
                   for name, factory in JUDGES.items()},
        # a finding's line is its function's docstring (a plug-in names its own in FINDINGS)
        "findings": {name: " ".join((resolve(finding_entry(name).target).__doc__ or "").split())
                     for name in FINDINGS},
        "studies": preset_questions(),
    }
    if what is not None and what not in sections:
        fail(f"list: unknown section {what!r}; allowed: {', '.join(sections)}")
    for section, entries in sections.items():
        if what in (None, section):
            console.print(f"[bold]{section}[/]")
            for name, line in entries.items():
                console.print(f"  {name:<12} {line}", highlight=False, markup=False, soft_wrap=True)


@data_app.command("export")
def data_export(
    study: StudyArgument,
    stage: Annotated[str, typer.Option(help="a stage name of the pipeline")],
    out: Annotated[Path, typer.Option(help="dir for records.jsonl (or .parquet), poison.json, provenance.json")],
    condition: Annotated[str | None, typer.Option(help="poisoned or clean (the clean twin's data); default "
                                                           "poisoned, or clean when no stage carries poison")]
    = None,
    format_: Annotated[str, typer.Option("--format", help="jsonl or parquet")] = "jsonl",
    point: Annotated[str | None, typer.Option(help="a grid point id, or an arm's name, when the spec sweeps; "
                                                   "default the first")]
    = None,
    set_: SetOption = None,
    seed: Annotated[int | None, typer.Option(help="shorthand for --set seeds=[N]; default the first seed")]
    = None,
    cache: CacheOption = None,
) -> None:
    """Write the dataset a stage trains on (poison included, with its provenance columns), through the cache."""
    from pharmakon.engine.export import export_data
    from pharmakon.engine.load import load_study
    from pharmakon.kernel.cache import check_writable

    with one_line():
        spec = load_study(study, sets=list(set_ or []), seed=seed)
        store = _cache(cache)
        check_writable(out, "out")
        store.check_writable()
        outcome = export_data(spec, stage, out, condition=condition, fmt=format_, point=point, cache=store)
    meta = outcome.provenance
    console.print(f"{outcome.path}: {meta['n_records']} records, {meta['n_poison']} poison ({meta['stage']}, "
                  f"{meta['condition']}, seed {meta['seed']})", highlight=False, markup=False, soft_wrap=True)


@foundation_app.command("build")
def foundation_build(
    name: Annotated[str, typer.Argument(help="a foundation (e.g. organism)")] = "organism",
    out: Annotated[Path, typer.Option(help="a new folder for the checkpoint (HF directory + manifest.json)")]
    = Path("foundation"),
    seed: Annotated[int, typer.Option(help="the seed of the pretraining")] = 0,
    cache: CacheOption = None,
) -> None:
    """Pretrain a foundation through the cache (or find it there) and write it as a shippable checkpoint."""
    from pharmakon.engine.foundation import build_foundation, invoked_command
    from pharmakon.kernel.cache import check_writable

    with one_line():
        store = _cache(cache)
        check_writable(out.parent, "out")
        store.check_writable()
        folder = build_foundation(name, seed, out, cache=store, command=invoked_command())
    console.print(f"{folder}: foundation {name}, seed {seed} (sha256 of every file in manifest.json)",
                  highlight=False, markup=False, soft_wrap=True)


@cache_app.command("ls")
def cache_ls(cache: CacheOption = None) -> None:
    """One line per complete node: key, kind, size, what it is."""
    store = _cache(cache)
    for entry in store.entries():
        console.print(f"{entry['key']}  {entry['kind']:<9} {entry['bytes'] / 1e6:8.2f} MB  {entry['label']}",
                      highlight=False, markup=False, soft_wrap=True)


@cache_app.command("du")
def cache_du(cache: CacheOption = None) -> None:
    """Disk use per node kind and in total."""
    store = _cache(cache)
    totals: dict[str, list[int]] = {}
    for entry in store.entries():
        count_size = totals.setdefault(entry["kind"], [0, 0])
        count_size[0] += 1
        count_size[1] += entry["bytes"]
    for kind, (count, size) in sorted(totals.items()):
        console.print(f"{kind:<10} {count:6d} nodes {size / 1e6:10.2f} MB", highlight=False)
    console.print(f"{'total':<10} {sum(c for c, _ in totals.values()):6d} nodes "
                  f"{sum(s for _, s in totals.values()) / 1e6:10.2f} MB  ({store.root})", highlight=False)


@cache_app.command("gc")
def cache_gc(
    cache: CacheOption = None,
    everything: Annotated[bool, typer.Option("--all", help="remove every node, not only garbage")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would go")] = False,
) -> None:
    """Remove leftovers of killed runs, incomplete nodes and nodes whose code has changed since."""
    store = _cache(cache)
    if dry_run:
        for path in store.garbage(everything):
            console.print(str(path), highlight=False)
        return
    removed, freed = store.gc(everything)
    console.print(f"removed {removed} entries, {freed / 1e6:.2f} MB", highlight=False)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except PharmakonError as exc:  # raised outside a command body
        Console(stderr=True).print(f"error: {exc}", highlight=False, markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
