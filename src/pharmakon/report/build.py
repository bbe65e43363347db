"""Build ``report.html`` for a run dir: aggregate over seeds, plot each metric, write the page atomically."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pharmakon.data.io import atomic_write_bytes
from pharmakon.probes.stats import multiple_comparisons_note
from pharmakon.report.aggregate import aggregate
from pharmakon.report.html import metadata_table, page, plots_section
from pharmakon.report.load import Run, load_run
from pharmakon.report.plots import metric_plot, metric_plots
from pharmakon.report.samples import samples_section

RESULT_NEEDED = ("study", "point", "condition", "seed", "after_stage", "adaptation", "probe", "metric", "value", "n",
                 "ci_low", "ci_high")


def _note(run: Run) -> str:
    seeds = run.results["seed"].nunique() if "seed" in run.results.columns else 0
    band = "95% Student-t interval over seeds" if seeds > 1 else "95% interval of the single run"
    x = f"x is {escape(run.axes[0])}, one panel per stage" if run.axes else "x is the lifecycle stage"
    note = f"Mean over {seeds} seed{'s' if seeds != 1 else ''}; bands: {band}; {x}. Dashed lines: clean control."
    return " ".join(part for part in (note, multiple_comparisons_note(comparisons(run.results))) if part)


def comparisons(results) -> int:
    """How many intervals the report shows: one per metric, stage, condition, arm and grid point."""
    cells = [c for c in ("point", "arm", "condition", "after_stage", "adaptation", "probe", "metric")
             if c in results.columns]
    return len(results[cells].drop_duplicates()) if cells else 0


def render(run: Run) -> str:
    """The report page of a loaded run."""
    complete = not run.results.empty and all(c in run.results.columns for c in RESULT_NEEDED)
    plots = []
    if complete:
        aggregated = aggregate(run.results, run.axes, run.stages)
        plots = metric_plots(aggregated, run.axes, run.stages) + _study_figures(run, aggregated)
    seeds = list(dict.fromkeys(run.results["seed"])) if "seed" in run.results.columns else []
    return page(
        title=run.name,
        description=run.description,
        metadata=metadata_table(run.meta, run.axes, seeds, run.path.name),
        plots=plots_section(plots),
        samples=samples_section(run.generations, run.stages),
        spec=run.spec_text,
        note=_note(run) if complete else "",
        question=str(run.spec.get("question") or ""),
        anchor=str(run.spec.get("anchor") or ""),
        finding=_finding(run) if complete else "",
    )


def _study_figures(run: Run, aggregated) -> list:
    """The extra figures of the study named by the spec's ``finding`` (the budget study's fraction plot)."""
    from pharmakon.studies.figures import FIGURES

    make = FIGURES.get(str(run.spec.get("finding")))
    return [metric_plot(frame, axes, run.stages) for frame, axes in make(aggregated)] if make else []


def _finding(run: Run) -> str:
    """The study's own summary of this run, in words (empty when the spec names none)."""
    name = run.spec.get("finding")
    if not name:
        return ""
    from pharmakon.studies import state_finding

    return state_finding(name, run.results, run.spec)


def build_report(run_dir: Path) -> Path:
    """Write ``run_dir/report.html`` (a temp file in the same dir, then renamed) and return its path."""
    run_dir = Path(run_dir)
    path = run_dir / "report.html"
    atomic_write_bytes(path, render(load_run(run_dir)).encode("utf-8"))
    return path
