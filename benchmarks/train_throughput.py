"""Pretraining throughput: our lean ``pretrain`` loop versus the HF ``transformers.Trainer``.

Both sides train the ``small`` tiny Llama from the same initialisation (same seed) on the same packed
blocks (``pack_documents``: our loop packs them itself, the Trainer gets them as an ``input_ids``/``labels``
dataset), with bf16 autocast on CPU, the same learning rate, batch size, block length, AdamW betas and
weight decay, cosine schedule with the same warm-up, gradient clipping at 1.0, the same torch threads. The
Trainer keeps its own default optimiser implementation (fused AdamW) - we don't handicap the baseline.
``--no-trainer-bf16`` runs the Trainer in fp32 instead (not the like-for-like comparison; for reference).

Timing: each side first does an untimed warm-up run of ``--warmup`` steps (allocator, kernels, imports);
then each repeat times whole runs of exactly ``--steps`` optimiser steps on a fresh model, alternating
sides. A whole run is timed rather than steps inside it because ``pretrain`` is one call with no hook for
per-step timing; the timed run includes each side's own per-run setup (our packing; the Trainer's dataset,
construction and ``train()`` bookkeeping), which is what a user pays. The best (minimum) time per side is
kept, since other work on the machine can only slow a run down.

tokens/s = steps x batch x max_length / seconds.  Target: ours >= 1.3x the Trainer.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time

import rich
import torch
from datasets import Dataset
from transformers import PrinterCallback, Trainer, TrainingArguments

from pharmakon.models.configs import build_tiny_model
from pharmakon.models.tokenizer import train_tokenizer
from pharmakon.stages.common import available_threads, silence_libraries
from pharmakon.stages.pretrain import PretrainConfig, pack_documents, pretrain
from pharmakon.world import World, WorldConfig

TARGET = 1.3


def run_ours(args, tokenizer, docs, steps: int) -> float:
    model = build_tiny_model(args.model, tokenizer, args.seed)
    config = PretrainConfig(max_steps=steps, batch_size=args.batch_size, max_length=args.max_length,
                            learning_rate=args.lr, bf16=True, threads=args.threads)
    start = time.perf_counter()
    pretrain(model, tokenizer, docs, config, args.seed)
    return time.perf_counter() - start


def run_trainer(args, tokenizer, blocks: torch.Tensor, steps: int) -> float:
    model = build_tiny_model(args.model, tokenizer, args.seed)
    model.config.use_cache = False
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-trainer-") as out:
        training_args = TrainingArguments(
            output_dir=out, per_device_train_batch_size=args.batch_size, max_steps=steps,
            learning_rate=args.lr, weight_decay=0.1, adam_beta1=0.9, adam_beta2=0.95, max_grad_norm=1.0,
            lr_scheduler_type="cosine", warmup_steps=math.ceil(0.05 * steps), bf16=args.trainer_bf16, use_cpu=True,
            report_to=[], save_strategy="no", disable_tqdm=True, logging_steps=10**9,
            dataloader_num_workers=0, seed=args.seed, data_seed=args.seed, optim=args.trainer_optim,
        )
        start = time.perf_counter()
        rows = blocks.tolist()
        dataset = Dataset.from_dict({"input_ids": rows, "labels": rows}).with_format("torch")
        trainer = Trainer(model=model, args=training_args, train_dataset=dataset)
        trainer.remove_callback(PrinterCallback)
        trainer.train()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="small", help="tiny model name (default: small)")
    parser.add_argument("--steps", type=int, default=30, help="timed optimiser steps per run")
    parser.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps per side")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per side (best is kept)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--documents-per-family", type=int, default=200)
    parser.add_argument("--vocab-size", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=available_threads())
    parser.add_argument("--trainer-optim", default="adamw_torch_fused", help="Trainer optim (its default)")
    parser.add_argument("--trainer-bf16", action=argparse.BooleanOptionalAction, default=True,
                        help="Trainer bf16 (default; --no-trainer-bf16: fp32, for reference)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    silence_libraries()
    rich.reconfigure(stderr=True)  # pretrain's transient progress bar: keep stdout for the table
    torch.set_num_threads(args.threads)

    world = World(WorldConfig(documents_per_family=args.documents_per_family))
    tokenizer = train_tokenizer(world.corpus_text(), vocab_size=args.vocab_size)
    docs = world.documents()
    blocks = pack_documents(tokenizer, docs, args.max_length, args.seed)
    print(f"model {args.model}, {len(blocks)} blocks of {args.max_length}, batch {args.batch_size}, "
          f"threads {args.threads}, {args.steps} timed steps x {args.repeats} repeats "
          f"(warm-up {args.warmup})")

    run_ours(args, tokenizer, docs, args.warmup)
    run_trainer(args, tokenizer, blocks, args.warmup)
    theirs = f"Trainer ({'bf16' if args.trainer_bf16 else 'fp32'}, {args.trainer_optim})"
    times: dict[str, list[float]] = {"ours (pretrain, bf16)": [], theirs: []}
    for _ in range(args.repeats):
        times["ours (pretrain, bf16)"].append(run_ours(args, tokenizer, docs, args.steps))
        times[theirs].append(run_trainer(args, tokenizer, blocks, args.steps))

    tokens = args.steps * args.batch_size * args.max_length
    print(f"\n{'side':<40}{'runs (s)':>16}{'best (s)':>10}{'tokens/s':>11}")
    rate = {}
    for name, runs in times.items():
        rate[name] = tokens / min(runs)
        print(f"{name:<40}{' '.join(f'{t:.2f}' for t in runs):>16}{min(runs):>10.2f}{rate[name]:>11.0f}")
    print(f"ratio: {rate['ours (pretrain, bf16)'] / rate[theirs]:.2f}x (target >= {TARGET})")


if __name__ == "__main__":
    main()
