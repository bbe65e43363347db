"""The kernel: content-addressed nodes, the cache they live in, their code versions, the executors that run them,
the results table and progress. It knows nothing of poisoning: it imports no world, model, stage, attack, probe
or study (an ``import-linter`` contract in ``pyproject.toml`` holds it to that), and the engine hands the
executors the function that computes a node.
"""
