"""LoRA throughput on a real model: our ``finetune`` stage's loop versus TRL's ``SFTTrainer``, twice.

Both sides LoRA-train SmolLM2-135M-Instruct (the built-in real model, converted once in memory) with the same
adapter (rank 8, alpha 16, attention projections), the same world instruction examples in the model's chat
template (prompt-completion, loss on the completion), the same batch size, learning rate, steps and torch
threads. TRL runs twice:

- *defaults*: every other argument at TRL's default (bf16 autocast, gradient checkpointing, padded batches);
- *careful*: configured as a careful user would on this machine: the same precision as ours (bf16 autocast only
  where the hardware has bf16 units, else fp32), no gradient checkpointing, and TRL's ``padding_free`` batches
  (flattened examples with restarting ``position_ids``, as ours).

Ours is the stage as a study runs it (``lean_sft``: padding-free packed batches, the LM head on completion
positions only, no checkpointing). On every side only the training is timed: copying the model, wrapping it in
LoRA and building the trainer happen before the clock starts.

Only real tokens count: ours sums the lengths of the examples it packs; TRL's are counted by wrapping its data
collator and summing the attention mask of every batch (pads excluded; a padding-free batch has none). Each side
first does an untimed warm-up run; then each repeat times a whole run of ``--steps`` steps on a fresh copy of the
model, sides alternating, and the best run per side is kept (other work on the machine can only slow a run down).

Target: ours >= 2.5x the real tokens/s of the careful ``SFTTrainer`` (the ratio against TRL's defaults is printed
beside it).
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
from pharmakon.models.device import native_bf16, use_bf16
from pharmakon.models.io import ensure_pad_token, fit_embeddings
from pharmakon.models.real import builtin_path, load_source_model, load_source_tokenizer
from pharmakon.stages.common import available_threads, silence_libraries
from pharmakon.stages.configs import FinetuneConfig
from pharmakon.stages.finetune import attach_lora
from pharmakon.stages.lean_sft import train_completions
from pharmakon.world import World, WorldConfig

TARGET = 2.5


def ours_config(args, steps: int) -> FinetuneConfig:
    return FinetuneConfig(method="lora", rank=args.rank, alpha=2 * args.rank, max_steps=steps,
                          batch_size=args.batch_size, learning_rate=args.lr, max_length=args.max_length,
                          threads=args.threads)


def run_ours(args, base, tokenizer, data: Dataset, steps: int) -> tuple[float, int]:
    config = ours_config(args, steps)
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


def trl_arguments(args, out: str, steps: int, careful: bool, bf16: bool) -> SFTConfig:
    """TRL's arguments: its defaults, or a careful user's (our precision, no checkpointing, padding-free)."""
    common = dict(output_dir=out, per_device_train_batch_size=args.batch_size, max_steps=steps, learning_rate=args.lr,
                  seed=args.seed, use_cpu=True, report_to=[], save_strategy="no", disable_tqdm=True,
                  logging_steps=10**9, max_length=args.max_length)
    if not careful:
        return SFTConfig(**common)
    # padding-free without packing: TRL asks for max_length=None (no truncation); the world's examples are far
    # shorter than --max-length, so neither side truncates
    return SFTConfig(**{**common, "max_length": None}, bf16=bf16, gradient_checkpointing=False, padding_free=True)


def run_trl(args, base, tokenizer, data: Dataset, steps: int, careful: bool = False) -> tuple[float, int]:
    torch.set_num_threads(args.threads)
    lora = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
                      task_type="CAUSAL_LM")
    bf16 = use_bf16(ours_config(args, steps).bf16, base)
    with tempfile.TemporaryDirectory(prefix="bench-trl-") as out:
        trainer = SFTTrainer(model=copy.deepcopy(base), args=trl_arguments(args, out, steps, careful, bf16),
                             train_dataset=data, processing_class=tokenizer, peft_config=lora)
        trainer.remove_callback(PrinterCallback)
        trainer.data_collator = counter = CountingCollator(trainer.data_collator)
        start = time.perf_counter()
        trainer.train()
        return time.perf_counter() - start, counter.tokens


def run_trl_careful(args, base, tokenizer, data: Dataset, steps: int) -> tuple[float, int]:
    return run_trl(args, base, tokenizer, data, steps, careful=True)


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

    bf16 = use_bf16(ours_config(args, args.steps).bf16, base)
    precision = "bf16 autocast" if bf16 else "fp32"
    print(f"precision: ours {precision}; TRL defaults bf16 autocast (native bf16 units: {native_bf16()}); "
          f"TRL careful {precision}")
    sides = {"ours (finetune stage)": run_ours, "TRL SFTTrainer (defaults)": run_trl,
             "TRL SFTTrainer (careful)": run_trl_careful}
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
    ours, defaults, careful = rate.values()
    print(f"ratio vs TRL defaults: {ours / defaults:.2f}x")
    print(f"ratio: {ours / careful:.2f}x vs TRL configured carefully (target >= {TARGET})")


if __name__ == "__main__":
    main()
