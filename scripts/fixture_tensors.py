"""The JSON encoding of tensors that the PyTorch fixture scripts share (imported, never run).

A tensor is {"shape": [...], "dtype": "int32" | "float32", "data": [...]}, floats written with
nine significant digits (enough to round-trip a float32).
"""

import torch


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "dtype": "int32", "data": [int(v) for v in t.flatten().tolist()]}
    return {"shape": list(t.shape), "dtype": "float32", "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}
