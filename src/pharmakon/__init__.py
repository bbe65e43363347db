"""pharmakon: data poisoning across the LLM lifecycle, studied as threat, as remedy and as probe.

``pharmakon.run("quickstart", seeds=[0, 1, 2])`` runs a study and returns its results table. Attacks, probes
and stages are registered with ``register_attack``, ``register_probe`` and ``register_stage`` (or through
entry points); see ``docs/extending.md``. Importing this package does not import torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pharmakon.poison import register_attack
from pharmakon.probes import register_probe
from pharmakon.stages import register_stage

if TYPE_CHECKING:
    import pandas as pd

__version__ = "0.1.0"


def run(spec_or_preset: str | Path | dict, *, out: str | Path | None = None, cache: str | Path | None = None,
        progress: bool = True, **overrides: Any) -> pd.DataFrame:
    """Run a study (a preset name, a YAML path or a mapping) and return its results table.

    ``overrides`` set spec fields by dotted path, e.g. ``seeds=[0, 1]`` or ``**{"pipeline.dpo.beta": 0.2}``.
    The run dir (``out``, default ``runs/<study>-<time>/``) holds the same files as the command line writes.
    """
    from pharmakon.engine.load import load_study
    from pharmakon.engine.search import run_spec
    from pharmakon.kernel.progress import StudyProgress

    study = load_study(spec_or_preset, overrides)
    reporter = StudyProgress() if progress else StudyProgress(live=False, quiet=True)
    outcome = run_spec(study, Path(out) if out else None, cache, reporter)
    return outcome.results


__all__ = ["__version__", "register_attack", "register_probe", "register_stage", "run"]
