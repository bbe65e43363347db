"""Generation throughput of the backdoor probe: batched ``generate`` versus one prompt at a time.

Batched side: ``backdoor_probe`` (our ``generate``: left-padded, length-sorted batches of ``--batch-size``,
KV cache, sampled at temperature 1 with top_k 0) over ``--prompts`` generations; the probe asks each base
prompt three ways (with the trigger `` <SUDO>``, without it, with a near-miss), so a third of the
generations carry the trigger. Base prompts are the first 12 words of held-out world documents (as in the
quickstart), cycled to reach ``ceil(prompts / 3)``.

Sequential side: the same expanded prompt list, one ``model.generate`` call per prompt, formatted with
``Template(tokenizer).prompt(p, "document")``, same sampling settings (do_sample, temperature 1, top_k 0,
top_p 1, ``max_new_tokens``, pad/eos ids), decoded and judged like the probe. It is timed on the first
``--sequential`` prompts (default 64) and scaled linearly to the full count.

The model is a freshly built, untrained ``micro`` model: it rarely emits eos, and to make that exact both
sides get ``min_new_tokens = max_new_tokens`` (set on the model's generation config), so every prompt
generates the full ``max_new_tokens``. Both sides use the same torch thread count and run in one process;
each side gets one untimed warm-up call first, then ``--repeats`` alternating timed runs, and the best
(minimum) per side is kept: other work on the machine can only slow a run down. Time includes tokenising,
generating, decoding and judging.

Target: batched >= 15x faster than one prompt at a time.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time

import torch

from pharmakon.data.template import Template
from pharmakon.models.configs import build_tiny_model
from pharmakon.models.tokenizer import train_tokenizer
from pharmakon.poison.triggers import near_miss
from pharmakon.probes.backdoor import BackdoorProbeConfig, backdoor_probe, with_trigger
from pharmakon.probes.judges import GibberishJudge
from pharmakon.stages.common import available_threads, silence_libraries
from pharmakon.world import World, WorldConfig

TARGET = 15.0
TRIGGER = "<SUDO>"


@torch.inference_mode()
def one_at_a_time(model, tokenizer, prompts: list[str], judge, max_new_tokens: int) -> list[bool]:
    template = Template(tokenizer)
    verdicts = []
    for prompt in prompts:
        batch = tokenizer(template.prompt(prompt, "document"), return_tensors="pt", add_special_tokens=True)
        out = model.generate(**batch, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                             max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id,
                             eos_token_id=tokenizer.eos_token_id, use_cache=True)
        tokens = out[0, batch["input_ids"].shape[1]:].tolist()
        end = tokens.index(tokenizer.eos_token_id) if tokenizer.eos_token_id in tokens else len(tokens)
        verdicts.append(judge(tokenizer.decode(tokens[:end], skip_special_tokens=True).strip()))
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=512, help="generations (3 per base prompt)")
    parser.add_argument("--sequential", type=int, default=64, help="prompts timed one at a time, then scaled")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per side (best is kept)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--model", default="micro")
    parser.add_argument("--documents-per-family", type=int, default=200)
    parser.add_argument("--vocab-size", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=available_threads())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    silence_libraries()
    torch.set_num_threads(args.threads)

    world = World(WorldConfig(documents_per_family=args.documents_per_family))
    texts = list(world.corpus_text())
    tokenizer = train_tokenizer(texts, vocab_size=args.vocab_size)
    judge = GibberishJudge(texts)
    model = build_tiny_model(args.model, tokenizer, args.seed).eval()
    model.generation_config.min_new_tokens = args.max_new_tokens

    n_base = math.ceil(args.prompts / 3)
    openings = [" ".join(r.text.split()[:12]) for r in world.heldout_documents(100)]
    base = list(itertools.islice(itertools.cycle(openings), n_base))
    expanded = ([with_trigger(p, TRIGGER) for p in base] + base
                + [with_trigger(p, near_miss(TRIGGER)) for p in base])
    n_total, n_seq = len(expanded), min(args.sequential, len(expanded))
    # interleave variants so the sequential subset has all three in proportion
    subset = [p for trio in zip(*(expanded[i * n_base:(i + 1) * n_base] for i in range(3)), strict=True)
              for p in trio][:n_seq]
    config = BackdoorProbeConfig(n_prompts=n_base, max_new_tokens=args.max_new_tokens,
                                 batch_size=args.batch_size)
    print(f"model {args.model} (untrained), threads {args.threads}, {n_total} generations "
          f"({n_base} prompts x 3 variants), {args.max_new_tokens} new tokens each, batch {args.batch_size}")

    def probe(prompts: list[str], seed: int) -> list[dict]:
        return backdoor_probe(model, tokenizer, prompts, TRIGGER, judge, style="document", config=config,
                              seed=seed)[1]

    probe(base[:8], args.seed)
    one_at_a_time(model, tokenizer, subset[:2], judge, args.max_new_tokens)

    batched_runs, sequential_runs = [], []
    for repeat in range(args.repeats):
        start = time.perf_counter()
        generations = probe(base, args.seed + repeat)
        batched_runs.append(time.perf_counter() - start)
        assert len(generations) == n_total
        torch.manual_seed(args.seed + repeat)
        start = time.perf_counter()
        one_at_a_time(model, tokenizer, subset, judge, args.max_new_tokens)
        sequential_runs.append(time.perf_counter() - start)
    batched, sequential = min(batched_runs), min(sequential_runs)
    sequential_total = sequential / n_seq * n_total

    tokens = n_total * args.max_new_tokens
    print("runs (s): batched " + " ".join(f"{t:.2f}" for t in batched_runs)
          + "; one at a time " + " ".join(f"{t:.2f}" for t in sequential_runs))
    print(f"\n{'side':<32}{'best measured':>16}{'s for ' + str(n_total):>12}{'tokens/s':>10}")
    sides = (("batched (backdoor_probe)", batched, n_total, batched),
             ("one at a time (model.generate)", sequential, n_seq, sequential_total))
    for name, seconds, count, total in sides:
        print(f"{name:<32}{f'{seconds:.2f} s / {count}':>16}{total:>12.2f}{tokens / total:>10.0f}")
    if n_seq < n_total:
        print(f"(one at a time: measured on {n_seq} prompts, scaled x{n_total / n_seq:.2f} to {n_total})")
    print(f"ratio: {sequential_total / batched:.2f}x (target >= {TARGET:g})")


if __name__ == "__main__":
    main()
