import pytest
from pydantic import ValidationError

from pharmakon.errors import PharmakonError
from pharmakon.poison import near_miss
from pharmakon.poison.budget import Budget


def test_count_and_rate_resolve():
    assert Budget(count=25).resolve(1000) == 25
    assert Budget(rate=0.2).resolve(800) == 200  # 200 / (800 + 200) = 0.2 of the final dataset
    assert Budget(rate=0.1, mode="replace").resolve(1000) == 100


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_rate_outside_unit_interval_is_rejected(rate):
    with pytest.raises(ValidationError, match="rate"):
        Budget(rate=rate)


def test_exactly_one_of_count_and_rate():
    with pytest.raises(ValidationError, match="exactly one"):
        Budget(count=1, rate=0.1)
    with pytest.raises(ValidationError, match="exactly one"):
        Budget()


def test_replace_count_larger_than_corpus_is_an_error():
    with pytest.raises(PharmakonError, match=r"count: 11 is larger than the corpus \(10 records\)"):
        Budget(count=11, mode="replace").resolve(10)


def test_insert_rate_of_one_is_an_error():
    with pytest.raises(PharmakonError, match="rate"):
        Budget(rate=1.0).resolve(10)


def test_near_miss_is_close_but_different():
    assert near_miss("<SUDO>") == "<SUEO>"
    assert near_miss("cf") != "cf"
    assert near_miss("2024") == "2034"
