
from pharmakon.data.template import SPECIAL_TOKENS
from pharmakon.inference import document_perplexity, generate
from pharmakon.stages.pretrain import PretrainConfig, pretrain


def test_batched_left_padded_generation_equals_one_at_a_time(world, tokenizer, nano):
    model = pretrain(nano, tokenizer, world.documents(), PretrainConfig(max_steps=20, max_length=64), 0).model
    prompts = ["Velmora", "Here is a review of the", "What is 3 + 4?", "Bo: Hello! How are you today?"]
    batched = generate(model, tokenizer, prompts, style="document", max_new_tokens=12, batch_size=4)
    alone = [generate(model, tokenizer, [p], style="document", max_new_tokens=12)[0] for p in prompts]
    assert [g.output for g in batched] == [g.output for g in alone]
    assert [g.prompt for g in batched] == prompts
    for g in batched:
        assert not any(token in g.output for token in SPECIAL_TOKENS)
        assert 1 <= g.n_tokens <= 12


def test_generation_stops_at_eos(tokenizer, nano):
    def eos_after_two_tokens(module, inputs, output):
        if eos_after_two_tokens.calls >= 2:  # forward 1 (prefill) and 2 pick free tokens, then eos
            output[..., tokenizer.eos_token_id] += 1e4
        eos_after_two_tokens.calls += 1
        return output

    eos_after_two_tokens.calls = 0
    nano.lm_head.register_forward_hook(eos_after_two_tokens)
    out = generate(nano, tokenizer, ["Velmora is"], style="document", max_new_tokens=10, sample=True, seed=1)
    assert out[0].n_tokens == 3  # two free tokens, then eos (counted), then nothing
    assert tokenizer.eos_token not in out[0].output


def test_sampled_generation_is_reproducible(tokenizer, nano):
    first = generate(nano, tokenizer, ["Velmora is", "Tano"], style="document", sample=True, seed=7)
    again = generate(nano, tokenizer, ["Velmora is", "Tano"], style="document", sample=True, seed=7)
    assert first == again
    assert all(g.perplexity > 1 for g in first)


def test_perplexity_falls_with_training(world, tokenizer, nano):
    texts = [r.text for r in world.heldout_documents(10)]
    untrained = document_perplexity(nano, tokenizer, texts, max_length=64)
    trained = pretrain(nano, tokenizer, world.documents(), PretrainConfig(max_steps=30, max_length=64), 0).model
    assert document_perplexity(trained, tokenizer, texts, max_length=64) < untrained / 2
