"""The ``pharmakon`` command line: run a study, list what is registered."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pharmakon.errors import PharmakonError

app = typer.Typer(help="pharmakon: data poisoning across the LLM lifecycle, as threat, remedy and probe.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
STUDIES = {"quickstart": "DoS backdoor in pretraining, clean twin; probes after pretrain, SFT, DPO, LoRA"}
console = Console()


def fail(message: str) -> None:
    """One line on stderr, exit code 2."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _split(value: str | None) -> list[str] | None:
    return [part.strip() for part in value.split(",") if part.strip()] if value else None


@app.command()
def run(
    study: Annotated[str, typer.Argument(help="built-in study: " + ", ".join(STUDIES))],
    out: Annotated[Path | None, typer.Option(help="run dir; default runs/<study>-<YYYYmmdd-HHMMSS>/")] = None,
    seed: Annotated[int, typer.Option(help="seed of training, poison and probes")] = 0,
    scale: Annotated[str, typer.Option(help="default, or test (nano, a few steps: seconds)")] = "default",
    model: Annotated[str | None, typer.Option(help="tiny model: nano, micro, small, base")] = None,
    stages: Annotated[str | None, typer.Option(help="comma-separated stages, e.g. pretrain,sft")] = None,
    attack: Annotated[str | None, typer.Option(help="attack name (see `pharmakon list attacks`)")] = None,
    probes: Annotated[str | None, typer.Option(help="comma-separated probes")] = None,
    poison_count: Annotated[int | None, typer.Option(help="poison records (absolute count)")] = None,
    poison_rate: Annotated[float | None, typer.Option(help="poison as a fraction of the final dataset")] = None,
    poison_mode: Annotated[str, typer.Option(help="insert (on top of clean data) or replace")] = "insert",
    trigger: Annotated[str | None, typer.Option(help="trigger text")] = None,
    dataset: Annotated[Path | None, typer.Option(help="local .jsonl/.parquet documents for pretraining")] = None,
) -> None:
    """Run a study: train, poison, probe; write results.parquet, generations.parquet and a log."""
    try:
        config = _study_config(study, seed, scale, model, stages, attack, probes, poison_count, poison_rate,
                               poison_mode, trigger, dataset)
        from pharmakon.studies.lifecycle import prepare, run_lifecycle
        from pharmakon.studies.summary import summary_tables

        materials = prepare(config)  # every input error surfaces here, before anything is written
        out = out or Path("runs") / f"{study}-{datetime.now():%Y%m%d-%H%M%S}"
        frame = run_lifecycle(config, out, Console(stderr=True), materials)
    except PharmakonError as exc:
        fail(str(exc))
    wide = Console(width=max(console.width, 110))  # the tables stay whole when output is not a terminal
    for table in summary_tables(frame):
        wide.print(table)
    console.print(f"results: {out / 'results.parquet'}\ngenerations: {out / 'generations.parquet'}")


def _study_config(study, seed, scale, model, stages, attack, probes, poison_count, poison_rate, poison_mode,
                  trigger, dataset):
    from pharmakon.studies.config import DEFAULT_STAGES, TEST_STAGES, quickstart_config

    if study not in STUDIES:
        raise PharmakonError(f"study: unknown study {study!r}; allowed: {', '.join(STUDIES)}")
    if scale not in ("default", "test"):
        raise PharmakonError(f"scale: unknown scale {scale!r}; allowed: default, test")
    overrides: dict = {"seed": seed, "model": model, "dataset": str(dataset) if dataset else None}
    if stages is not None:
        known = {s["kind"]: s for s in (TEST_STAGES if scale == "test" else DEFAULT_STAGES)}
        overrides["stages"] = [known.get(kind, {"kind": kind}) for kind in _split(stages) or []]
    if probes is not None:
        overrides["probes"] = [{"name": name} for name in _split(probes) or []]
    base = quickstart_config(scale)
    poison = base.poison.model_dump()
    if attack is not None:
        poison["attack"] = attack
    if poison_count is not None or poison_rate is not None:
        poison["budget"] = {"count": poison_count, "rate": poison_rate, "mode": poison_mode}
    else:
        poison["budget"]["mode"] = poison_mode
    if trigger is not None:
        poison["params"]["trigger"] = trigger
    overrides["poison"] = poison
    if probes is None:
        overrides["probes"] = [p.model_dump() for p in base.probes]
    return quickstart_config(scale, **overrides)


@app.command("list")
def list_registered(
    what: Annotated[str | None, typer.Argument(help="stages, attacks, probes or studies; default all")] = None,
) -> None:
    """List stages, attacks, probes and studies, one line each."""
    from pharmakon.poison import ATTACKS
    from pharmakon.probes import PROBES
    from pharmakon.stages import STAGES

    sections = {
        "stages": {name: entry.description for name, entry in STAGES.items()},
        "attacks": {name: f"{cls.description} [{cls.paper}; {cls.url}]" for name, cls in ATTACKS.items()},
        "probes": {name: f"{p['description']} ({', '.join(p['metrics'])})" for name, p in PROBES.items()},
        "studies": STUDIES,
    }
    if what is not None and what not in sections:
        fail(f"list: unknown section {what!r}; allowed: {', '.join(sections)}")
    for section, entries in sections.items():
        if what in (None, section):
            console.print(f"[bold]{section}[/]")
            for name, line in entries.items():
                console.print(f"  {name:<10} {line}", highlight=False, soft_wrap=True)


def main() -> None:
    """Console entry point."""
    try:
        app()
    except PharmakonError as exc:  # raised outside a command body
        Console(stderr=True).print(f"error: {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
