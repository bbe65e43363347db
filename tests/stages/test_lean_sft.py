"""The lean completion-only loop: a packed row computes exactly what separate padded rows do, the loss is TRL's
completion-only loss, and training moves the loss on what it trained."""

import pytest
import torch

from pharmakon.data.template import Template
from pharmakon.stages.configs import FinetuneConfig
from pharmakon.stages.finetune import finetune
from pharmakon.stages.lean_sft import completion_loss, packed_batch, tokenise_examples


def _examples(world, tokenizer, n):
    records = world.instructions()[:n]
    template = Template(tokenizer)
    return tokenise_examples(tokenizer, [template.chat_prompt(r.prompt) for r in records],
                             [r.response for r in records], max_length=128)


def test_tokenised_examples_end_on_eos_and_the_completion_starts_after_the_prompt(world, tokenizer):
    examples = _examples(world, tokenizer, 6)
    assert len(examples) == 6
    for example in examples:
        assert example.ids[-1] == tokenizer.eos_token_id
        assert 0 < example.completion_start < len(example.ids)
        assert tokenizer.convert_ids_to_tokens(example.ids[example.completion_start - 1]) == "<|assistant|>"


def test_a_packed_row_is_block_diagonal(world, tokenizer, nano):
    """Each example's logits in the packed row equal its logits alone: restarting positions isolate examples
    (transformers reads them only without a KV cache, hence ``use_cache=False``)."""
    examples = _examples(world, tokenizer, 4)
    packed = packed_batch(examples, torch.device("cpu"))
    nano.eval()
    with torch.no_grad():
        together = nano(input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False).logits[0]
        offset = 0
        for example in examples:
            alone = nano(input_ids=torch.tensor([example.ids])).logits[0]
            torch.testing.assert_close(together[offset:offset + len(example.ids)], alone, atol=1e-4, rtol=1e-4)
            offset += len(example.ids)


def test_the_loss_is_the_mean_over_completion_tokens(world, tokenizer, nano):
    """Equal to the HF loss of a padded batch whose labels mask the prompts (TRL's completion-only loss)."""
    examples = _examples(world, tokenizer, 4)
    nano.eval()
    with torch.no_grad():
        ours = completion_loss(nano, packed_batch(examples, torch.device("cpu")))
        width = max(len(e.ids) for e in examples)
        ids = torch.full((len(examples), width), tokenizer.pad_token_id)
        labels = torch.full((len(examples), width), -100)
        mask = torch.zeros((len(examples), width), dtype=torch.long)
        for row, example in enumerate(examples):
            ids[row, :len(example.ids)] = torch.tensor(example.ids)
            mask[row, :len(example.ids)] = 1
            labels[row, example.completion_start:len(example.ids)] = torch.tensor(
                example.ids[example.completion_start:])
        reference = nano(input_ids=ids, attention_mask=mask, labels=labels).loss
    torch.testing.assert_close(ours, reference, atol=1e-4, rtol=1e-4)


def test_examples_cut_before_their_completion_are_dropped(world, tokenizer):
    records = world.instructions()[:3]
    template = Template(tokenizer)
    prompts = [template.chat_prompt(r.prompt) for r in records]
    shortest_prompt = min(len(ids) for ids in tokenizer(prompts)["input_ids"])
    kept = tokenise_examples(tokenizer, prompts, [r.response for r in records], max_length=shortest_prompt)
    assert kept == []


@pytest.mark.parametrize("method", ["lora", "full"])
def test_the_lean_loop_learns_as_sft_trainer_does(world, tokenizer, method):
    """Same data, recipe and seed: both lower the completion loss, to about the same value (the data order
    differs, so not exactly)."""
    from pharmakon.models.configs import build_tiny_model
    from pharmakon.stages.finetune import attach_lora
    from pharmakon.stages.lean_sft import train_completions
    from pharmakon.stages.sft import instruction_dataset, run_sft_trainer

    records = world.instructions()[:32]
    batch = packed_batch(_examples(world, tokenizer, 32), torch.device("cpu"))
    dataset = instruction_dataset(records, Template(tokenizer))
    config = FinetuneConfig(method=method, epochs=4, batch_size=8, learning_rate=1e-2 if method == "lora" else 3e-3)
    losses = {}
    for loop in ("lean", "trainer"):
        model = build_tiny_model("nano", tokenizer, seed=0)
        model = attach_lora(model, config) if method == "lora" else model
        with torch.no_grad():
            before = float(completion_loss(model.eval(), batch))
        if loop == "lean":
            result = train_completions(model, tokenizer, list(dataset["prompt"]), list(dataset["completion"]),
                                       config, 0, "lean")
        else:
            result = run_sft_trainer(model, tokenizer, dataset, config, 0, "trainer")
        assert len(result.log) == 16
        with torch.no_grad():
            losses[loop] = float(completion_loss(result.model, batch))
        assert losses[loop] < before - 0.2
    assert abs(losses["lean"] - losses["trainer"]) < 0.1, losses


def test_finetune_trains_in_the_lean_loop(world, tokenizer, nano):
    result = finetune(nano, tokenizer, world.instructions()[:16], FinetuneConfig(max_steps=2, batch_size=8), seed=0)
    assert len(result.log) == 2 and all(row["tokens"] > 0 for row in result.log)  # only the lean loop counts tokens
