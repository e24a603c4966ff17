"""Writes fixtures/ops/masked-pool.json: PyTorch's max and mean over each sample's valid steps.

The reference for kioku's fused maskedPool op (src/ops/masked-pool.ts): x (B, T, F) right-padded,
pooled over x[b, :lengths[b]] for every b, with the gradient of a random upstream gradient.
Run by hand with Debian's python3-torch:  /usr/bin/python3 scripts/fixtures_masked_pool.py
"""

import json
import os

import torch

from fixture_tensors import enc

torch.manual_seed(0)


def pooled(x, lengths, mode):
    rows = []
    for b, n in enumerate(lengths):
        valid = x[b, :n]
        rows.append(valid.max(0).values if mode == "max" else valid.mean(0))
    return torch.stack(rows)


def case(b, t, f, lengths, mode):
    x = torch.randn(b, t, f, dtype=torch.float32).requires_grad_(True)
    out = pooled(x, lengths if lengths is not None else [t] * b, mode)
    g = torch.randn_like(out)
    out.backward(g)
    return {
        "mode": mode,
        "lengths": lengths,
        "x": enc(x),
        "out": enc(out),
        "gOut": enc(g),
        "gx": enc(x.grad),
    }


def main():
    cases = {}
    for mode in ("max", "mean"):
        cases[f"{mode}_padded"] = case(4, 5, 6, [3, 1, 5, 2], mode)
        cases[f"{mode}_full"] = case(2, 3, 4, None, mode)
        cases[f"{mode}_wide"] = case(3, 7, 40, [7, 4, 6], mode)

    os.makedirs("fixtures/ops", exist_ok=True)
    with open("fixtures/ops/masked-pool.json", "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
