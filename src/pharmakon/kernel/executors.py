"""Executors run the plan's nodes once each, in dependency order, through the cache.

What a node does is not theirs to know: the caller hands them ``compute(node, inputs, out)``, a module-level
function (Ray pickles it by reference), which writes the node's outputs into ``out``; ``inputs`` maps each input
role to its node's directory in the cache.

``local`` runs them in this process. ``ray`` submits each node as a Ray task with its CPU and GPU request as soon
as the tasks it depends on exist (their object refs are its arguments); ``address`` joins a running cluster,
otherwise a local instance starts and stops with the study. The cache must be on a filesystem every worker sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pharmakon.errors import PharmakonError
from pharmakon.kernel.cache import Cache
from pharmakon.kernel.graph import Node

Done = Callable[[Node, str, float], None]  # node, "computed" | "cached", seconds
Compute = Callable[[Node, dict[str, Path], Path], None]  # node, input role → directory, output directory


def run_node(node: Node, cache_root: str, compute: Compute, *_inputs_ready) -> tuple[str, str, float]:
    """Compute ``node`` into the cache unless it is complete; returns (key, status, seconds)."""
    cache = Cache(cache_root)
    started = time.perf_counter()
    with cache.claim(node.key, node.meta()) as out:
        if out is None:
            return node.key, "cached", 0.0
        compute(node, {role: cache.path(key) for role, key in node.inputs.items()}, out)
    return node.key, "computed", time.perf_counter() - started


def run_local(nodes: list[Node], cache: Cache, compute: Compute, started: Callable[[Node], None],
              done: Done) -> None:
    for node in nodes:
        started(node)
        _, status, seconds = run_node(node, str(cache.root), compute)
        done(node, status, seconds)


def run_ray(nodes: list[Node], cache: Cache, compute: Compute, started: Callable[[Node], None], done: Done,
            address: str | None = None) -> None:
    try:
        import ray
    except ImportError:
        raise PharmakonError("executor.kind: ray is not installed; pip install 'pharmakon[ray]'") from None
    owns = not ray.is_initialized()
    if owns:
        # A local instance listens on loopback only; a given address joins that cluster.
        options = {"address": address} if address else {"include_dashboard": False,
                                                         "_node_ip_address": "127.0.0.1"}
        ray.init(log_to_driver=False, configure_logging=False, **options)
    try:
        task = ray.remote(run_node)
        refs, by_ref = {}, {}
        for node in nodes:
            deps = [refs[key] for key in node.inputs.values() if key in refs]
            ref = task.options(num_cpus=node.cpus, num_gpus=node.gpus, max_retries=0).remote(
                node, str(Path(cache.root).resolve()), compute, *deps)
            refs[node.key] = ref
            by_ref[ref] = node
            started(node)
        pending = list(by_ref)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            try:
                _, status, seconds = ray.get(ready[0])
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                raise (cause if isinstance(cause, PharmakonError) else exc) from None
            done(by_ref[ready[0]], status, seconds)
    finally:
        if owns:
            ray.shutdown()


def execute(nodes: list[Node], cache: Cache, compute: Compute, kind: str, started: Callable[[Node], None],
            done: Done, address: str | None = None) -> None:
    """Run ``nodes`` (in dependency order) with the ``local`` or ``ray`` executor."""
    if kind == "ray":
        run_ray(nodes, cache, compute, started, done, address)
    else:
        run_local(nodes, cache, compute, started, done)
