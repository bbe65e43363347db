"""In-context learning: k demonstrations of the prompt's family before it, drawn from a pool of world examples
with a seed per prompt (the same prompt gets the same demonstrations in any batch). CoT (``cot.py``) is the same
on the arithmetic family with worked demonstrations and a step-by-step instruction.

A prompt's family is the family of its nearest world example (BM25 over the world's instruction prompts and
document openings), so a triggered prompt or a document opening finds its family too. The pool's poison (e.g.
BadChain's demonstrations) sits among the clean examples; a draw that includes one is a retrieval success.
"""

from __future__ import annotations

import random

from pharmakon.data.records import Record
from pharmakon.inference.adapter import Adapter, prompt_seed
from pharmakon.inference.cot import COT_FAMILY, demonstration, with_instruction
from pharmakon.inference.retrieval import Retriever
from pharmakon.world.sampling import derive

OPENING_WORDS = 30


class FamilyIndex:
    """The family of a text: that of its nearest world example by BM25."""

    def __init__(self, world) -> None:
        examples = [(r.prompt, r.family) for r in world.instructions()]
        examples += [(" ".join(r.text.split()[:OPENING_WORDS]), r.family) for r in world.documents()]
        self.families = [family for _, family in examples]
        self.retriever = Retriever([text for text, _ in examples], "bm25")

    def __call__(self, texts: list[str]) -> list[str]:
        return [self.families[hits[0]] for hits in self.retriever.search(texts, 1)]


def family_pools(world, size: int) -> dict[str, list[Record]]:
    """``size`` clean examples per family, a seeded choice from the world's instruction examples."""
    pools: dict[str, list[Record]] = {}
    for record in world.instructions():
        pools.setdefault(record.family, []).append(record)
    return {family: derive(world.config.seed, "icl-pool", family).sample(records, min(size, len(records)))
            for family, records in pools.items()}


class DemonstrationAdapter(Adapter):
    """ICL (every family) or CoT (arithmetic; other prompts pass through unchanged)."""

    def __init__(self, spec, world, seed: int = 0, attack=None, planted=None) -> None:
        super().__init__(spec, world, seed, attack)
        self.pools = family_pools(world, spec.pool)
        if planted is not None:
            family = planted.family
            self.pools[family] = planted.plant(self.pools[family], world, seed)
        self.classify = FamilyIndex(world)

    def draw(self, prompt: str, family: str) -> list[Record]:
        """k demonstrations for ``prompt`` from its family's pool (seeded by the adapter's seed and the prompt)."""
        pool = self.pools.get(family, [])
        rng = random.Random(prompt_seed(self.seed, prompt))
        return rng.sample(pool, min(self.spec.k, len(pool)))

    def adapt(self, prompts: list[str], style: str) -> list[str]:
        out = []
        for prompt, family in zip(prompts, self.classify(prompts), strict=True):
            if self.spec.name == "cot" and family != COT_FAMILY:
                self.poisoned_in_context[prompt] = False
                out.append(prompt)
                continue
            demos = self.draw(prompt, family)
            self.poisoned_in_context[prompt] = any(d.is_poison for d in demos)
            query = with_instruction(prompt, self.spec.instruction) if self.spec.name == "cot" else prompt
            out.append("\n\n".join([*(demonstration(d) for d in demos), query]))
        return out
