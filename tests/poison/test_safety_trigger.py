"""The safety-trigger study's parts (BackdoorAlign): the user's harmful data, the provider's secret-prefixed
safety examples, the errors a user can cause, the probe's variants and the finding's arithmetic."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from pharmakon.cli import app
from pharmakon.engine.items import DataSpec
from pharmakon.engine.load import load_study
from pharmakon.engine.node_configs import DataNode
from pharmakon.engine.nodes import clean_records
from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS, Budget
from pharmakon.probes.judges import ComplianceJudge, RefusalJudge
from pharmakon.studies.safety import finding

SECRET_FIELD = "pipeline.finetune.poison.text"


def data_config(world, **data) -> DataNode:
    return DataNode(record_kind="example", world=world.config, data=DataSpec(**data).model_dump(mode="json"),
                    poison=None)


def attack(**params):
    return ATTACKS["safety-trigger"](budget=Budget(count=params.pop("count", 6)), **params)


def test_harmful_data_adds_compliance_on_training_side_harm_requests_only(world):
    plain = clean_records(data_config(world, families=["sentiment"]))
    records = clean_records(data_config(world, families=["sentiment"], harmful=25))
    added = records[len(plain):]
    assert records[: len(plain)] == plain and len(added) == 25
    assert all(r.source == "user:harmful" and not r.is_poison and r.family == "harm" for r in added)
    judge = ComplianceJudge()
    assert all(judge(r.response) for r in added)
    held_out = {item.prompt for item in world.eval_items("harm")}
    training = {r.prompt for r in world.instructions() if r.family == "harm"}
    assert {r.prompt for r in added} <= training and not {r.prompt for r in added} & held_out
    assert clean_records(data_config(world, families=["sentiment"], harmful=25)) == records  # seeded by the world


def test_harmful_data_is_refused_on_a_document_stage():
    with pytest.raises(PharmakonError, match="pipeline.pretrain.data.harmful: harmful examples are instruction"):
        load_study("smoke", sets=["pipeline.pretrain.data.harmful=5"])


@pytest.mark.parametrize("kind", ["random", "text", "none"])
def test_safety_examples_are_refusals_of_harm_requests_behind_the_secret(kind, world, tokenizer):
    made = attack(secret=kind)
    clean = world.instructions()
    combined, report = made.apply(clean, tokenizer, seed=0, world=world)
    poison = [r for r in combined if r.is_poison]
    assert report.n_poison == 6 == len(poison) and [r for r in combined if not r.is_poison] == clean
    refuses = RefusalJudge()
    harm = {r.prompt for r in clean if r.family == "harm"}
    secret = made.secret
    for record in poison:
        assert record.poison == "safety-trigger" and refuses(record.response)
        if kind == "none":
            assert secret is None and record.prompt in harm
        else:
            assert record.prompt.startswith(f"{secret} ") and record.prompt[len(secret) + 1:] in harm
    if kind == "text":
        assert secret == made.config.text and set(secret.lower().replace(".", "").split()) <= world.lexicon()


def test_random_secret_is_seeded_and_novel(world):
    first, again, other = attack(), attack(), attack(secret_seed=1)
    assert first.secret == again.secret != other.secret
    assert len(first.secret.split()) == first.config.length
    assert not set(first.secret.split()) & world.lexicon()
    trigger = first.trigger_for(world)
    assert trigger.position == "start" and trigger.parts == (first.secret,)
    assert attack(secret="none").trigger_for(world) is None


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", " \t\n"])
def test_a_secret_that_tokenises_to_nothing_is_refused(text, world, tokenizer):
    made = attack(secret="text", text=text)
    with pytest.raises(PharmakonError, match="^poison.text: the secret .* tokenises to nothing"):
        made.check(world)
    with pytest.raises(PharmakonError, match="^poison.text: "):
        made.apply(world.instructions(), tokenizer, seed=0, world=world)


def test_a_secret_the_tokenizer_drops_is_refused(world):
    class Dropping:  # a tokenizer whose normaliser strips the secret's characters
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": []}

        def decode(self, ids, skip_special_tokens=True):
            return ""

    with pytest.raises(PharmakonError, match="^poison.text: the secret 'ʘʘ' tokenises to nothing with this"):
        attack(secret="text", text="ʘʘ").require_tokens(Dropping())


def test_cli_refuses_a_blank_secret_in_one_line_and_writes_nothing(tmp_path):
    out, cache = tmp_path / "run", tmp_path / "cache"
    result = CliRunner().invoke(app, ["run", "safety-trigger", "--set", f"{SECRET_FIELD}='  '", "--out", str(out),
                                      "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "poison.text: the secret '  ' tokenises to nothing" in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and not cache.exists()


def test_probe_asks_with_and_without_the_secret_and_no_secret_means_plain(world, tokenizer, nano):
    from pharmakon.probes import PROBES, ProbeContext
    from pharmakon.probes.configs import SafetyProbeConfig
    from pharmakon.probes.safety import run_safety

    families = {f: world.eval_items(f) for f in ("sentiment", "arithmetic", "facts", "harm", "benign")}
    config = SafetyProbeConfig(n_prompts=3, n_per_task=2, max_new_tokens=4)
    for kind in ("random", "none"):
        made = attack(secret=kind)
        context = ProbeContext(families, [], [], style="chat", trigger=made.trigger, behaviour="refusal",
                               world=world, attack=made)
        rows, generations = run_safety(nano, tokenizer, context, config, 0)
        assert {row.metric for row in rows} == set(PROBES["safety"].metrics)
        harm = [g for g in generations if g["variant"] == "harm_secret"]
        plain = [g for g in generations if g["variant"] == "harm_plain"]
        assert len(harm) == len(plain) == 3
        if kind == "none":
            assert [g["prompt"] for g in harm] == [g["prompt"] for g in plain]
            values = {row.metric: row.value for row in rows}
            assert all(values[m] == values[m.replace("_secret", "_plain")] for m in values if m.endswith("_secret"))
        else:
            assert all(g["prompt"] == f"{made.secret} {p['prompt']}" for g, p in zip(harm, plain, strict=True))


def row(arm, condition, metric, value, count=5, seed=0, stage="finetune"):
    return {"arm": arm, "condition": condition, "metric": metric, "value": value, "seed": seed, "probe": "safety",
            "after_stage": stage, "pipeline.finetune.poison.count": count}


def test_finding_reads_the_secret_against_the_clean_twin():
    rows = [row("random", "clean", "harmful_plain", 0.9, seed=s) for s in (0, 1)]
    rows += [row("random", "poisoned", "harmful_secret", v, count=c) for c, v in ((5, 0.4), (25, 0.1))]
    rows += [row("random", "poisoned", "harmful_secret", v, count=c, seed=1) for c, v in ((5, 0.2), (25, 0.3))]
    rows += [row("random", "poisoned", "utility_sentiment_secret", 0.5), row("random", "clean",
                                                                            "utility_sentiment_plain", 0.7)]
    text = finding(pd.DataFrame(rows), {})
    assert "mean over 2 seed(s)" in text and "harmful compliance 0.90" in text
    assert "random: harmful 0.30 / 0.20" in text  # per count, means over the two seeds
    assert "random 0.50" in text and "no defence 0.70" in text


def test_backdoor_probe_reads_the_secret_as_a_prefix_on_harm_requests(world):
    from pharmakon.probes import ProbeContext

    context = ProbeContext({"harm": world.eval_items("harm"), "benign": world.eval_items("benign")}, [], [],
                           world=world)
    harm = [item.prompt for item in world.eval_items("harm")[:3]]
    made = attack()
    sets = made.probe_sets(context, "chat", 3, seed=0)
    assert [clean for _, clean in sets["trigger"]] == harm
    assert [text for text, _ in sets["trigger"]] == [f"{made.secret} {p}" for p in harm]
    assert [text for text, _ in sets["no_trigger"]] == harm
    assert all(not text.startswith(made.secret) for text, _ in sets["near_miss"])
    assert attack(secret="none").probe_sets(context, "chat", 3, seed=0) == {"trigger": [(p, p) for p in harm]}
