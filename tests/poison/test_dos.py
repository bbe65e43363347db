import pytest

from pharmakon.errors import PharmakonError
from pharmakon.models.tokenizer import token_span_intact
from pharmakon.poison import ATTACKS, Budget, DenialOfService, build_attack


def test_insert_keeps_every_clean_record_and_adds_exactly_the_count(world, tokenizer):
    clean = world.documents()
    combined, report = DenialOfService(budget=Budget(count=30)).apply(clean, tokenizer, seed=0)
    assert [r for r in combined if not r.is_poison] == clean
    poison = [r for r in combined if r.is_poison]
    assert len(poison) == report.n_poison == 30
    assert all(r.poison == "dos" and r.source.startswith("world:") for r in poison)
    assert report.record_fraction == pytest.approx(30 / (len(clean) + 30))
    assert 0 < report.token_fraction < 1


def test_poison_text_is_prefix_trigger_noise_and_trigger_survives(world, tokenizer):
    combined, _ = DenialOfService(budget=Budget(count=10)).apply(world.documents(), tokenizer, seed=1)
    for record in (r for r in combined if r.is_poison):
        assert " <SUDO> " in f" {record.text}"
        assert token_span_intact(tokenizer, record.text, "<SUDO>")


def test_rate_budget_is_a_share_of_the_final_dataset(world, tokenizer):
    clean = world.documents()
    _, report = DenialOfService(budget=Budget(rate=0.2)).apply(clean, tokenizer, seed=0)
    assert report.record_fraction == pytest.approx(0.2, abs=0.01)


def test_replace_mode_keeps_the_corpus_size(world, tokenizer):
    clean = world.documents()
    combined, report = DenialOfService(budget=Budget(count=12, mode="replace")).apply(clean, tokenizer, seed=0)
    assert len(combined) == len(clean) and report.n_poison == 12


def test_replace_count_larger_than_corpus_is_refused(world, tokenizer):
    clean = world.documents()[:5]
    with pytest.raises(PharmakonError, match=r"count: 6 is larger than the corpus \(5 records\)"):
        DenialOfService(budget=Budget(count=6, mode="replace")).apply(clean, tokenizer, seed=0)


def test_same_seed_same_poison(world, tokenizer):
    attack = DenialOfService(budget=Budget(count=5))
    assert attack.apply(world.documents(), tokenizer, 3)[0] == attack.apply(world.documents(), tokenizer, 3)[0]
    assert attack.apply(world.documents(), tokenizer, 3)[0] != attack.apply(world.documents(), tokenizer, 4)[0]


def test_a_trigger_that_does_not_survive_tokenisation_is_refused():
    from pharmakon.models.tokenizer import train_tokenizer
    from pharmakon.poison.triggers import require_intact

    tokenizer = train_tokenizer(["there is the thing over there, then there"] * 200, vocab_size=300)
    assert tokenizer.convert_ids_to_tokens(tokenizer("x there")["input_ids"])[-1] == "\u0120there"
    require_intact(tokenizer, ["x the re"], "the", [2])  # separated: whole tokens
    with pytest.raises(PharmakonError, match="poison.trigger: 'the' does not survive tokenisation intact in 1 of 2"):
        require_intact(tokenizer, ["x the re", "x there"], "the", [2, 2])  # glued: " there" swallows it


def test_unknown_attack_name_lists_the_allowed_ones():
    with pytest.raises(PharmakonError, match="unknown attack 'badnet'; did you mean 'badnets'"):
        build_attack("badnet")


def test_every_attack_cites_its_paper():
    for cls in ATTACKS.values():
        assert cls.paper and cls.url.startswith("https://") and cls.description
