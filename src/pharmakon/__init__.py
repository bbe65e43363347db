"""pharmakon: data poisoning across the LLM lifecycle, studied as threat, as remedy and as probe."""

__version__ = "0.1.0"
