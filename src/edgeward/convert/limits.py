"""Bounds every model reader holds a model to, whatever its files declare.

A model file is a claim about how much memory it will take: a TF.js model.json that declares a weight of
shape [1000000, 1000000] asks for 4 TB before a single shard byte is read. The readers compute what a
model asks for from its declarations alone (shapes × dtypes, node counts), with Python's unbounded
integers, and refuse past these bounds before allocating anything.
"""

from __future__ import annotations

MAX_WEIGHT_BYTES = 2 * 1024**3
"""Weights in memory, all tensors together (2 GiB: ONNX's protobuf limit for one file, and half the
4 GiB address space onnxruntime-web's WASM has for weights and activations together)."""
MAX_GRAPH_NODES = 100_000
"""Nodes in one graph, subgraphs included (the zoo's largest TF.js graph has about 1,500)."""
MAX_MODEL_JSON_BYTES = 64 * 1024**2
"""A TF.js model.json (its topology and weight specs; the zoo's largest is 0.9 MB)."""
MAX_EXAMPLE_ELEMENTS = 16 * 1024**2
"""Elements of one random input made to verify an imported model (64 MB as float32; a 2048 × 2048 RGB
image is 12.6 M)."""


def mib(n: int) -> str:
    """A byte count for an error message."""
    return f"{n / 1024**2:,.1f} MiB" if n < 1024**4 else f"{n / 1024**4:,.3g} TiB"
