"""The tidy results table: one row per measured number, swept parameters as columns, written as nodes finish."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pharmakon.data.io import write_table_atomic

ROW_FIELDS: tuple[str, ...] = ("probe", "metric", "value", "n", "ci_low", "ci_high")
GENERATION_FIELDS: tuple[str, ...] = ("probe", "variant", "prompt", "output", "verdict", "perplexity")
WHERE: tuple[str, ...] = ("condition", "seed", "after_stage", "adaptation")
RESULT_COLUMNS: tuple[str, ...] = ("study", "point", *WHERE, *ROW_FIELDS)
GENERATION_COLUMNS: tuple[str, ...] = ("study", "point", *WHERE, *GENERATION_FIELDS)


def point_id(swept: dict) -> str:
    """A grid point's id: a short hash of its swept values (canonical JSON)."""
    return hashlib.sha256(json.dumps(swept, sort_keys=True, default=str).encode()).hexdigest()[:10]


def columns_with_axes(columns: tuple[str, ...], axes: list[str]) -> list[str]:
    """``columns`` with one column per swept path after ``point``."""
    return [*columns[:2], *axes, *columns[2:]]


class TableWriter:
    """Accumulates rows and rewrites the parquet file atomically after each batch, so a crash loses nothing
    complete."""

    def __init__(self, path: Path, columns: list[str] | tuple[str, ...]) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.parts: list[pd.DataFrame] = []

    def extend(self, rows: list[dict] | pd.DataFrame, flush: bool = True) -> None:
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        missing = set(self.columns) - set(frame.columns)
        if missing:
            raise ValueError(f"result rows lack columns {sorted(missing)}")
        self.parts.append(frame[self.columns])
        if flush:
            self.flush()

    def frame(self) -> pd.DataFrame:
        parts = [p for p in self.parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=self.columns)
        return pd.concat(parts, ignore_index=True)

    def flush(self) -> None:
        write_table_atomic(pa.Table.from_pandas(self.frame(), preserve_index=False), self.path)
