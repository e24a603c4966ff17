"""Writes fixtures/ops/ops.json: PyTorch outputs and gradients of kioku's primitive ops.

Run by hand with Debian's python3-torch:  /usr/bin/python3 scripts/fixtures_ops.py
"""

import json
import os

import torch

from fixture_tensors import enc

torch.manual_seed(0)


def leaf(*shape):
    return torch.randn(*shape, dtype=torch.float32).requires_grad_(True)


def run(fn, inputs, **extra):
    """Forward, then backward of a random upstream gradient; returns the JSON case."""
    out = fn(*inputs)
    g = torch.randn_like(out)
    out.backward(g)
    case = {
        "inputs": [enc(x) for x in inputs],
        "out": enc(out),
        "gOut": enc(g),
        "grads": [enc(x.grad) if x.grad is not None else None for x in inputs],
    }
    case.update(extra)
    return case


def main():
    cases = {}

    idx = torch.tensor([[1, 0, 3, 1], [5, 5, 0, 2]])
    cases["embedding_padding"] = run(
        lambda w: torch.nn.functional.embedding(idx, w, padding_idx=0),
        [leaf(6, 4)],
        indices=enc(idx),
        paddingIdx=0,
    )
    cases["embedding"] = run(lambda w: torch.nn.functional.embedding(idx, w), [leaf(6, 3)], indices=enc(idx))

    gidx = torch.tensor([[3, 0], [1, 1], [0, 2]])
    cases["gather_axis1"] = run(lambda x: torch.gather(x, 1, gidx), [leaf(3, 4)], index=enc(gidx), axis=1)
    sidx = torch.tensor([2, 0, 2])
    cases["indexSelect_axis0"] = run(lambda x: torch.index_select(x, 0, sidx), [leaf(3, 4)], index=enc(sidx), axis=0)

    for axis in (-1, 1, 0):
        cases[f"softmax_axis{axis}"] = run(lambda x: torch.softmax(x, axis), [leaf(2, 3, 4)], axis=axis)
        cases[f"logSoftmax_axis{axis}"] = run(lambda x: torch.log_softmax(x, axis), [leaf(2, 3, 4)], axis=axis)
    big = (torch.randn(3, 5) * 60).requires_grad_(True)
    cases["logSoftmax_large"] = run(lambda x: torch.log_softmax(x, -1), [big], axis=-1)

    cases["sum_axis1_keep"] = run(lambda x: x.sum(1, keepdim=True), [leaf(2, 3, 4)], axis=1, keepDims=True)
    cases["mean_all"] = run(lambda x: x.mean(), [leaf(3, 5)])
    cases["mean_axis0"] = run(lambda x: x.mean(0), [leaf(4, 3)], axis=0, keepDims=False)
    cases["max_axis2"] = run(lambda x: x.max(2).values, [leaf(2, 3, 5)], axis=2, keepDims=False)

    os.makedirs("fixtures/ops", exist_ok=True)
    with open("fixtures/ops/ops.json", "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
