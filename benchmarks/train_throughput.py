"""Pretraining throughput: our lean ``pretrain`` loop versus the HF ``transformers.Trainer``.

Both sides train the ``small`` tiny Llama from the same initialisation (same seed) on the same packed
blocks (``pack_documents``: our loop packs them itself, the Trainer gets them as an ``input_ids``/``labels``
dataset), in the same precision, the same learning rate, batch size, block length, AdamW betas and
weight decay, cosine schedule with the same warm-up, gradient clipping at 1.0, the same torch threads. The
Trainer keeps its own default optimiser implementation (fused AdamW) - we don't handicap the baseline.
The Trainer runs in the precision ours runs in unless ``--trainer-bf16``/``--no-trainer-bf16`` says otherwise.

Timing: each side first does an untimed warm-up run of ``--warmup`` steps (allocator, kernels, imports);
then each repeat times whole runs of exactly ``--steps`` optimiser steps on a fresh model, alternating
sides. A whole run is timed rather than steps inside it because ``pretrain`` is one call with no hook for
per-step timing; the timed run includes each side's own per-run setup (our packing; the Trainer's dataset,
construction and ``train()`` bookkeeping), which is what a user pays. The best (minimum) time per side is
kept, since other work on the machine can only slow a run down.

tokens/s = steps x batch x max_length / seconds.  Target: ours >= 1.3x the Trainer at equal precision.

Two more sides run each loop compiled (``torch.compile``, Inductor): ours with ``compile: true``, the Trainer with
its own ``torch_compile=True``. Each side's untimed warm-up pays its compile (printed: what the first compiled run
of a process costs, less once Inductor's on-disk FX-graph cache is warm); each timed run then compiles a fresh
model of the same class, which reuses the compiled graph. Compiled against compiled is the like-for-like ratio
(compiled ours against the uncompiled Trainer is printed too), and the last line sets each side's faster
configuration against the other's — a careful user of the Trainer runs it uncompiled where its compile is slower.
``compile`` is off by default in the stage (a 40-odd second compile, cold, is a loss on a run of a few minutes).

Each side's precision is printed as it ran (ours asks for bf16 and falls back to fp32 where ``use_bf16`` says the
hardware or the model's width does not pay for it), and so is each side's FLOP utilisation: training FLOPs per
token ``6 N + 12 L H Q T`` (N non-embedding parameters, L layers, H heads, Q head size, T block length; Kaplan et
al. 2020, PaLM's appendix B) times tokens/s, over this machine's matmul peak in that precision, measured here on
square matmuls of the model's width and of 1024 (printed beside it).
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
from pharmakon.models.device import use_bf16
from pharmakon.models.tokenizer import train_tokenizer
from pharmakon.stages.common import available_threads, silence_libraries
from pharmakon.stages.pretrain import PretrainConfig, pack_documents, pretrain
from pharmakon.world import World, WorldConfig

TARGET = 1.3


def matmul_peak(size: int, dtype: torch.dtype, seconds: float = 1.0) -> float:
    """FLOP/s of repeated ``size x size`` matmuls in ``dtype`` on the CPU (best of a second's worth of runs)."""
    a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
    a @ b  # warm-up
    best, spent = float("inf"), 0.0
    while spent < seconds:
        start = time.perf_counter()
        for _ in range(4):
            a @ b
        elapsed = (time.perf_counter() - start) / 4
        best, spent = min(best, elapsed), spent + 4 * elapsed
    return 2 * size**3 / best


def flops_per_token(model, max_length: int) -> float:
    """Training FLOPs per token: 6 x non-embedding parameters + 12 x layers x heads x head size x block length."""
    config = model.config
    embedding = sum(p.numel() for name, p in model.named_parameters() if "embed_tokens" in name)
    n = sum(p.numel() for p in model.parameters()) - embedding
    head = config.hidden_size // config.num_attention_heads
    return 6 * n + 12 * config.num_hidden_layers * config.num_attention_heads * head * max_length


def run_ours(args, tokenizer, docs, steps: int, compiled: bool = False) -> float:
    model = build_tiny_model(args.model, tokenizer, args.seed)
    config = PretrainConfig(max_steps=steps, batch_size=args.batch_size, max_length=args.max_length,
                            learning_rate=args.lr, bf16=True, threads=args.threads, compile=compiled)
    start = time.perf_counter()
    pretrain(model, tokenizer, docs, config, args.seed)
    return time.perf_counter() - start


def run_trainer(args, tokenizer, blocks: torch.Tensor, steps: int, compiled: bool = False) -> float:
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
            torch_compile=compiled,
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
    parser.add_argument("--trainer-bf16", action=argparse.BooleanOptionalAction, default=None,
                        help="Trainer bf16 autocast (default: the precision ours runs in, for equal precision)")
    parser.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                        help="also time both loops compiled (default: on)")
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

    probe = build_tiny_model(args.model, tokenizer, args.seed)
    ours_bf16 = use_bf16(True, probe)
    if args.trainer_bf16 is None:
        args.trainer_bf16 = ours_bf16
    ours_name = f"ours (pretrain, {'bf16 autocast' if ours_bf16 else 'fp32: use_bf16 fell back'})"
    theirs = f"Trainer ({'bf16 autocast' if args.trainer_bf16 else 'fp32'}, {args.trainer_optim})"
    compiled_name = ours_name.replace("(pretrain, ", "(pretrain, compile, ")
    theirs_compiled = theirs.replace("Trainer (", "Trainer (torch_compile, ")
    precision = {ours_name: ours_bf16, theirs: args.trainer_bf16, compiled_name: ours_bf16,
                 theirs_compiled: args.trainer_bf16}
    run_ours(args, tokenizer, docs, args.warmup)
    run_trainer(args, tokenizer, blocks, args.warmup)
    times: dict[str, list[float]] = {ours_name: [], theirs: []}
    if args.compile:
        first = run_ours(args, tokenizer, docs, args.warmup, compiled=True)
        first_theirs = run_trainer(args, tokenizer, blocks, args.warmup, compiled=True)
        print(f"compiled warm-up ({args.warmup} steps, the compile included): ours {first:.1f} s, Trainer "
              f"{first_theirs:.1f} s")
        times[compiled_name], times[theirs_compiled] = [], []
    for _ in range(args.repeats):
        times[ours_name].append(run_ours(args, tokenizer, docs, args.steps))
        times[theirs].append(run_trainer(args, tokenizer, blocks, args.steps))
        if args.compile:
            times[compiled_name].append(run_ours(args, tokenizer, docs, args.steps, compiled=True))
            times[theirs_compiled].append(run_trainer(args, tokenizer, blocks, args.steps, compiled=True))

    width = probe.config.hidden_size
    dtypes = (torch.bfloat16, torch.float32)
    peak = {dtype: max(matmul_peak(width, dtype), matmul_peak(1024, dtype)) for dtype in dtypes}
    print(f"matmul peak (best of {width}^2 and 1024^2): bf16 {peak[torch.bfloat16] / 1e9:.1f} GFLOP/s, "
          f"fp32 {peak[torch.float32] / 1e9:.1f} GFLOP/s")
    per_token = flops_per_token(probe, args.max_length)
    tokens = args.steps * args.batch_size * args.max_length
    print(f"\n{'side':<52}{'runs (s)':>14}{'best (s)':>10}{'tokens/s':>10}{'MFU':>8}")
    rate = {}
    for name, runs in times.items():
        rate[name] = tokens / min(runs)
        mfu = rate[name] * per_token / peak[torch.bfloat16 if precision[name] else torch.float32]
        print(f"{name:<52}{' '.join(f'{t:.2f}' for t in runs):>14}{min(runs):>10.2f}{rate[name]:>10.0f}{mfu:>8.1%}")
    same = "equal precision" if ours_bf16 == args.trainer_bf16 else "UNEQUAL precision: not the like-for-like ratio"
    print(f"ratio: {rate[ours_name] / rate[theirs]:.2f}x ({same}; target >= {TARGET})")
    if args.compile:
        print(f"ratio (both compiled, the compile outside the clock): "
              f"{rate[compiled_name] / rate[theirs_compiled]:.2f}x ({same}; target >= {TARGET})")
        print(f"ours compiled against the uncompiled Trainer: {rate[compiled_name] / rate[theirs]:.2f}x")
        ours_best = max((ours_name, compiled_name), key=rate.get)
        theirs_best = max((theirs, theirs_compiled), key=rate.get)
        print(f"ratio (each side's faster configuration: {ours_best} against {theirs_best}): "
              f"{rate[ours_best] / rate[theirs_best]:.2f}x ({same}; target >= {TARGET})")

if __name__ == "__main__":
    main()
