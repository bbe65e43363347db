"""Inference adaptations; for now plain batched generation through the one template."""

from pharmakon.inference.generate import Generation, document_perplexity, generate

__all__ = ["Generation", "document_perplexity", "generate"]
