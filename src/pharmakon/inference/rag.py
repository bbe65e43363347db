"""Retrieval-augmented generation: the top-k passages of a store, retrieved for the prompt (with whatever
trigger it carries), go before it, best first. PoisonedRAG's passages are planted in the same store."""

from __future__ import annotations

from pharmakon.inference.adapter import Adapter
from pharmakon.inference.retrieval import Retriever, store_passages


def cut(text: str, max_words: int) -> str:
    words = text.split()
    return " ".join(words[:max_words])


class RAGAdapter(Adapter):
    def __init__(self, spec, world, seed: int = 0, attack=None, planted=None) -> None:
        super().__init__(spec, world, seed, attack)
        self.passages = store_passages(world, spec.store, spec.limit)
        if planted is not None:
            self.passages = planted.plant(self.passages, world, seed)
        self.retriever = Retriever([p.text for p in self.passages], spec.retriever)

    def retrieve(self, prompts: list[str]) -> list[list[int]]:
        """The indices of each prompt's top-k passages, best first."""
        return self.retriever.search(prompts, self.spec.k)

    def adapt(self, prompts: list[str], style: str) -> list[str]:
        out = []
        for prompt, hits in zip(prompts, self.retrieve(prompts), strict=True):
            picked = [self.passages[i] for i in hits]
            self.poisoned_in_context[prompt] = any(p.is_poison for p in picked)
            out.append("\n".join([*(cut(p.text, self.spec.max_words) for p in picked), prompt]))
        return out
