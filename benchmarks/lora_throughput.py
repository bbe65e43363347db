"""LoRA throughput on a real model: our ``finetune`` stage's loop versus TRL's ``SFTTrainer`` with default arguments.

Both sides LoRA-train SmolLM2-135M-Instruct (the built-in real model, converted once in memory) with the same
adapter (rank 8, alpha 16, attention projections), the same world instruction examples in the model's chat
template (prompt-completion, loss on the completion), the same batch size, learning rate, steps and torch
threads. TRL keeps every other argument at its default (bf16 autocast, gradient checkpointing, padded batches,
full-vocabulary logits); ours is the stage as a study runs it (``lean_sft``: padding-free packed batches, the LM
head on completion positions only, no checkpointing, bf16 autocast only on hardware with bf16 units).

Only real tokens count: ours sums the lengths of the examples it packs; TRL's are counted by wrapping its data
collator and summing the attention mask of every batch (pads excluded). Each side first does an untimed warm-up
run; then each repeat times a whole run of ``--steps`` steps on a fresh copy of the model, sides alternating, and
the best run per side is kept (other work on the machine can only slow a run down). With ``--steps`` a multiple
of examples/batch, both sides see every example equally often.

Target: ours >= 2.5x the real tokens/s of ``SFTTrainer``.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time

import rich
import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import PrinterCallback
from trl import SFTConfig, SFTTrainer

from pharmakon.data.template import Template
from pharmakon.models.io import ensure_pad_token, fit_embeddings
from pharmakon.models.real import builtin_path, load_source_model, load_source_tokenizer
from pharmakon.stages.common import available_threads, silence_libraries
from pharmakon.stages.configs import FinetuneConfig
from pharmakon.stages.finetune import attach_lora
from pharmakon.stages.lean_sft import train_completions
from pharmakon.world import World, WorldConfig

TARGET = 2.5


def run_ours(args, base, tokenizer, data: Dataset, steps: int) -> tuple[float, int]:
    config = FinetuneConfig(method="lora", rank=args.rank, alpha=2 * args.rank, max_steps=steps,
                            batch_size=args.batch_size, learning_rate=args.lr, max_length=args.max_length,
                            threads=args.threads)
    model = attach_lora(copy.deepcopy(base), config)
    start = time.perf_counter()
    result = train_completions(model, tokenizer, list(data["prompt"]), list(data["completion"]), config, args.seed,
                               "ours")
    return time.perf_counter() - start, int(sum(row["tokens"] for row in result.log))


class CountingCollator:
    """TRL's collator, counting the real (attended) tokens of every batch it builds."""

    def __init__(self, collator) -> None:
        self.collator, self.tokens = collator, 0

    def __call__(self, features):
        batch = self.collator(features)
        self.tokens += int(batch["attention_mask"].sum()) if "attention_mask" in batch else batch["input_ids"].numel()
        return batch


def run_trl(args, base, tokenizer, data: Dataset, steps: int) -> tuple[float, int]:
    torch.set_num_threads(args.threads)
    lora = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
                      task_type="CAUSAL_LM")
    with tempfile.TemporaryDirectory(prefix="bench-trl-") as out:
        arguments = SFTConfig(output_dir=out, per_device_train_batch_size=args.batch_size, max_steps=steps,
                              learning_rate=args.lr, seed=args.seed, use_cpu=True, report_to=[], save_strategy="no",
                              disable_tqdm=True, logging_steps=10**9)
        start = time.perf_counter()
        trainer = SFTTrainer(model=copy.deepcopy(base), args=arguments, train_dataset=data,
                             processing_class=tokenizer, peft_config=lora)
        trainer.remove_callback(PrinterCallback)
        trainer.data_collator = counter = CountingCollator(trainer.data_collator)
        trainer.train()
        return time.perf_counter() - start, counter.tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=64, help="world instruction examples")
    parser.add_argument("--steps", type=int, default=8, help="timed optimiser steps per run")
    parser.add_argument("--warmup", type=int, default=2, help="untimed warm-up steps per side")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per side (best is kept)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--max-length", type=int, default=1024, help="ours; TRL's default is 1024 too")
    parser.add_argument("--threads", type=int, default=available_threads())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    silence_libraries()
    rich.reconfigure(stderr=True)
    torch.set_num_threads(args.threads)

    path = builtin_path("smollm2-135m-instruct")
    tokenizer = load_source_tokenizer(path)
    ensure_pad_token(tokenizer)
    base = load_source_model(path)
    fit_embeddings(base, tokenizer)
    base.config.pad_token_id = tokenizer.pad_token_id
    template = Template(tokenizer)
    records = World(WorldConfig()).instructions()[: args.examples]
    data = Dataset.from_dict({"prompt": [template.chat_prompt(r.prompt) for r in records],
                              "completion": [r.response for r in records]})
    print(f"SmolLM2-135M-Instruct, LoRA rank {args.rank}, {len(records)} examples, batch {args.batch_size}, "
          f"threads {args.threads}, {args.steps} timed steps x {args.repeats} repeats (warm-up {args.warmup})")

    sides = {"ours (finetune stage)": run_ours, "TRL SFTTrainer (defaults)": run_trl}
    for run in sides.values():
        run(args, base, tokenizer, data, args.warmup)
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in sides}
    for _ in range(args.repeats):
        for name, run in sides.items():
            runs[name].append(run(args, base, tokenizer, data, args.steps))

    print(f"\n{'side':<30}{'runs (s)':>16}{'real tokens':>13}{'tokens/s':>10}")
    rate = {}
    for name, timed in runs.items():
        seconds, tokens = min(timed)
        rate[name] = tokens / seconds
        print(f"{name:<30}{' '.join(f'{s:.1f}' for s, _ in timed):>16}{tokens:>13}{rate[name]:>10.0f}")
    ours, theirs = rate.values()
    print(f"ratio: {ours / theirs:.2f}x (target >= {TARGET})")


if __name__ == "__main__":
    main()
