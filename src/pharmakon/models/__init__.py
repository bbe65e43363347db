"""Tokenizer training, tiny Llama configs by name, and HF model I/O (safetensors).

Submodules are imported where used: ``models.sizes`` is light; ``configs``, ``io`` and ``tokenizer`` load torch.
"""
