"""The tidy results table: one row per measured number, written atomically as rows arrive."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pharmakon.data.io import write_table_atomic

RESULT_COLUMNS: tuple[str, ...] = (
    "study", "point", "condition", "seed", "after_stage", "adaptation", "probe", "metric",
    "value", "n", "ci_low", "ci_high",
)
GENERATION_COLUMNS: tuple[str, ...] = (
    "study", "point", "condition", "seed", "after_stage", "adaptation", "probe", "variant",
    "prompt", "output", "verdict", "perplexity",
)


def point_id(swept: dict) -> str:
    """A grid point's id: a short hash of its swept values (canonical JSON)."""
    return hashlib.sha256(json.dumps(swept, sort_keys=True).encode()).hexdigest()[:10]


class TableWriter:
    """Accumulates rows and rewrites the parquet file atomically after each batch, so a crash loses nothing
    complete."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.path = Path(path)
        self.columns = columns
        self.rows: list[dict] = []

    def extend(self, rows: list[dict]) -> None:
        for row in rows:
            missing = set(self.columns) - set(row)
            if missing:
                raise ValueError(f"result row lacks columns {sorted(missing)}")
        self.rows.extend(rows)
        self.flush()

    def flush(self) -> None:
        frame = pd.DataFrame(self.rows, columns=list(self.columns))
        write_table_atomic(pa.Table.from_pandas(frame, preserve_index=False), self.path)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(self.columns))
