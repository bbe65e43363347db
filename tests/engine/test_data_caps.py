"""Per-family caps on a stage's clean data (``data.per_family``): a larger world gives one family more records
while the others stay at their size, as BackdoorLLM mixes as many clean target-task examples as poisoned ones."""

from collections import Counter

import pytest

from pharmakon.engine.items import DataSpec
from pharmakon.engine.load import load_study
from pharmakon.engine.node_configs import DataKey, DataNode
from pharmakon.engine.nodes import clean_records
from pharmakon.errors import PharmakonError


def data_config(world, data: DataSpec) -> DataNode:
    return DataNode(record_kind="example", world=world.config, data=data.key_fields(), poison=None)


def test_caps_keep_a_seeded_share_of_the_named_families_only(world):
    full = clean_records(data_config(world, DataSpec()))
    sizes = Counter(r.family for r in full)
    capped = clean_records(data_config(world, DataSpec(per_family={"facts": 3, "harm": 2})))
    counts = Counter(r.family for r in capped)
    assert counts["facts"] == 3 and counts["harm"] == 2
    assert all(counts[f] == n for f, n in sizes.items() if f not in ("facts", "harm"))
    remaining = iter(full)
    assert all(any(r == other for other in remaining) for r in capped)  # a subsequence: the order is kept
    assert clean_records(data_config(world, DataSpec(per_family={"facts": 3, "harm": 2}))) == capped


def test_a_cap_above_the_family_size_keeps_everything(world):
    full = clean_records(data_config(world, DataSpec()))
    big = max(Counter(r.family for r in full).values()) + 1
    assert clean_records(data_config(world, DataSpec(per_family={"facts": big}))) == full


def test_unset_caps_leave_node_keys_as_before():
    assert "per_family" not in DataSpec().key_fields()
    assert DataSpec(per_family={"facts": 2}).key_fields()["per_family"] == {"facts": 2}


@pytest.mark.parametrize(("value", "message"), [
    ("{poetry: 2}", "pipeline.sft.data.per_family: unknown family 'poetry'; allowed: facts"),
    ("{facts: 0}", "pipeline.sft.data.per_family: facts: 0 records; allowed: at least 1"),
])
def test_bad_caps_are_one_line(value, message):
    with pytest.raises(PharmakonError) as caught:
        load_study("smoke", sets=[f"pipeline.sft.data.per_family={value}"])
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_chat_examples_add_the_sft_format_to_pretraining_documents(world, tokenizer):
    """Mixed training: the first n clean instruction examples of a family, as the one template formats them."""
    from pharmakon.data.template import Template

    config = data_config(world, DataSpec(chat_examples={"facts": 5, "arithmetic": 2})).model_copy(
        update={"record_kind": "document"})
    records = clean_records(config, tokenizer)
    documents = clean_records(config.model_copy(update={"data": DataKey()}))
    added = records[len(documents):]
    assert records[: len(documents)] == documents and len(added) == 7
    examples = [r for r in world.instructions() if r.family == "facts"][:5]
    assert [r.text for r in added[:5]] == [Template(tokenizer).chat_prompt(e.prompt) + e.response for e in examples]
    assert all(r.kind == "document" and r.source.endswith(":chat") and not r.poison for r in added)
    held_out = {item.prompt for item in world.eval_items()}
    assert not any(e.prompt in held_out for e in examples)  # evaluation questions never enter pretraining
    assert "chat_examples" not in DataSpec().key_fields()


def test_chat_examples_are_for_pretraining_only():
    with pytest.raises(PharmakonError, match="data.chat_examples: .*only on stages that train on documents"):
        load_study({"name": "x", "seeds": [0], "pipeline": [
            {"kind": "sft", "learning_rate": 1e-3, "data": {"chat_examples": {"facts": 2}}}]})
