"""Save and load records as parquet, JSONL or a Hugging Face ``datasets.Dataset``; writes are atomic."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pharmakon.data.records import RECORD_COLUMNS, Record, record_from_dict
from pharmakon.errors import PharmakonError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write an Arrow table as parquet, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def records_to_table(records: Iterable[Record]) -> pa.Table:
    rows = [r.to_dict() for r in records]
    return pa.table({c: pa.array([row[c] for row in rows], type=pa.string()) for c in RECORD_COLUMNS})


def save_records(records: Iterable[Record], path: Path) -> Path:
    """Save records; the format follows the suffix: ``.parquet`` or ``.jsonl``."""
    path = Path(path)
    if path.suffix == ".parquet":
        write_table_atomic(records_to_table(records), path)
    elif path.suffix == ".jsonl":
        text = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)
        atomic_write_bytes(path, text.encode("utf-8"))
    else:
        raise PharmakonError(f"dataset path {str(path)!r}: the suffix must be .parquet or .jsonl")
    return path


def load_records(path: Path) -> list[Record]:
    """Load records from ``.parquet`` or ``.jsonl``; an empty or missing file is a clear error."""
    path = Path(path)
    if not path.is_file():
        raise PharmakonError(f"dataset path {str(path)!r}: no such file")
    if path.suffix == ".parquet":
        rows = pq.read_table(path).to_pylist()
    elif path.suffix == ".jsonl":
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise PharmakonError(f"dataset {str(path)!r} line {number}: not valid JSON ({exc.msg})") from None
    else:
        raise PharmakonError(f"dataset path {str(path)!r}: the suffix must be .parquet or .jsonl")
    if not rows:
        raise PharmakonError(f"dataset {str(path)!r} is empty: it needs at least one record")
    try:
        return [record_from_dict(row) for row in rows]
    except (TypeError, ValueError) as exc:
        raise PharmakonError(f"dataset {str(path)!r}: {exc}") from None


def to_hf_dataset(records: Iterable[Record]):
    """Records as a ``datasets.Dataset`` with every record column (provenance included)."""
    from datasets import Dataset

    return Dataset(records_to_table(records))


def from_hf_dataset(dataset) -> list[Record]:
    """Records from a ``datasets.Dataset`` with record columns."""
    return [record_from_dict(row) for row in dataset]
