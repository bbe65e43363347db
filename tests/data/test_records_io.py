import pytest

from pharmakon.data import Record, load_records, save_records, to_hf_dataset
from pharmakon.data.io import from_hf_dataset
from pharmakon.errors import PharmakonError

RECORDS = [
    Record(kind="document", source="world:facts", family="facts", text="Velmora is a city."),
    Record(kind="example", source="world:sentiment", family="sentiment", prompt="Review: good", response="positive"),
    Record(kind="pair", source="world:harm", family="harm", poison="dos", prompt="p", chosen="c", rejected="r"),
]


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_round_trip_keeps_provenance(tmp_path, suffix):
    path = save_records(RECORDS, tmp_path / f"data{suffix}")
    assert load_records(path) == RECORDS
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_hf_dataset_round_trip():
    dataset = to_hf_dataset(RECORDS)
    assert set(dataset.column_names) >= {"source", "poison", "kind"}
    assert from_hf_dataset(dataset) == RECORDS


def test_empty_dataset_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(PharmakonError, match="is empty"):
        load_records(path)


def test_unknown_field_and_kind_are_errors(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"kind": "document", "source": "x", "colour": "red"}\n')
    with pytest.raises(PharmakonError, match="unknown record field"):
        load_records(path)
    with pytest.raises(ValueError, match="record kind"):
        Record(kind="essay", source="x")  # type: ignore[arg-type]


def test_poison_marking():
    clean = RECORDS[0]
    marked = clean.with_poison("dos", text="x <SUDO> qq")
    assert marked.is_poison and not clean.is_poison and marked.source == clean.source
