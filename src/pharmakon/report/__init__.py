"""The study report: a self-contained HTML page with plots, sample generations and the resolved spec.

matplotlib is imported only when a report is built, so ``pharmakon.report.environment`` stays light.
"""

from __future__ import annotations

from pathlib import Path


def build_report(run_dir: Path) -> Path:
    """Write ``run_dir/report.html`` atomically and return its path."""
    from pharmakon.report.build import build_report as build

    return build(run_dir)


__all__ = ["build_report"]
