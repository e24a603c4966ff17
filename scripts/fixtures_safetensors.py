"""Writes safetensors fixtures the way PyTorch-side code does, plus the values kioku must read.

Run by hand from the repository root:  /usr/bin/python3 scripts/fixtures_safetensors.py
The file format is written here with struct + json (byte for byte what the `safetensors`
package's serializer produces: compact JSON, tensors ordered by dtype alignment then name,
header padded with spaces to 8 bytes), so the package itself is not needed.
"""

import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "safetensors")

DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def serialize(tensors, metadata=None, pad=True):
    """safetensors bytes; pad=False pads to 8k+3 bytes instead, so the data is misaligned."""
    order = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, t in order:
        b = raw_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((-len(h) % 8) if pad else ((3 - len(h)) % 8))
    return struct.pack("<Q", len(h)) + h + data


def number(x):
    """JSON has no inf or nan: spell them as strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def expected(tensors):
    out = {}
    for name, t in tensors.items():
        entry = {"dtype": DTYPES[t.dtype], "shape": list(t.shape)}
        flat = t.reshape(-1)
        if t.is_floating_point():
            # What a float32 reader must produce: PyTorch's own conversion to float32.
            entry["float32"] = [number(v) for v in flat.to(torch.float32).tolist()]
        elif t.dtype == torch.int64:
            entry["int64"] = [str(v) for v in flat.tolist()]
        else:
            entry["int"] = [int(v) for v in flat.tolist()]
        out[name] = entry
    return out


def write(name, blob, meta):
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(blob)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(1234)

    specials = torch.tensor([0.0, -0.0, 1.5, -2.25, 65504.0, 6e-8, 1e-5, float("inf"), float("-inf"), float("nan")])
    tensors = {
        "f32": torch.randn(2, 3, generator=g),
        "f64": torch.tensor([0.1, -1e-40, 3.0e38, 1.0 / 3.0], dtype=torch.float64),
        "f16": specials.to(torch.float16),
        "bf16": torch.cat([torch.randn(4, generator=g), specials]).to(torch.bfloat16).reshape(2, 7),
        "i64": torch.tensor([[0, -1, 2147483647], [-2147483648, 42, 7]], dtype=torch.int64),
        "i64_big": torch.tensor([2**40, -(2**62), 5], dtype=torch.int64),
        "i32": torch.tensor([-5, 0, 2**31 - 1], dtype=torch.int32),
        "u8": torch.tensor([0, 1, 200, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True], dtype=torch.bool),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "cube": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 8,
    }
    metadata = {"format": "pt", "note": "kioku fixture, ünïcode"}
    write("dtypes", serialize(tensors, metadata), {"metadata": metadata, "tensors": expected(tensors)})

    # An unpadded 8k+r header puts every tensor at an address no Float32Array could view.
    odd = {"w": torch.randn(3, 2, generator=g), "d": torch.randn(3, generator=g, dtype=torch.float64)}
    blob = serialize(odd, None, pad=False)
    write("unaligned", blob, {"metadata": None, "tensors": expected(odd)})

    # A PyTorch model's state_dict and its output on a fixed input.
    torch.manual_seed(7)
    net = torch.nn.Linear(3, 2)
    x = torch.randn(4, 3, generator=g)
    with torch.no_grad():
        y = net(x)
    sd = {k: v.detach() for k, v in net.state_dict().items()}
    write(
        "linear",
        serialize(sd, {"format": "pt"}),
        {"metadata": {"format": "pt"}, "tensors": expected(sd), "x": x.tolist(), "y": y.tolist()},
    )

    # The same state_dict as torch.save writes it (the zip format and the legacy pickle), which
    # kioku must recognise and explain how to convert.
    torch.save(sd, os.path.join(OUT, "linear-zip.pt"))
    torch.save(sd, os.path.join(OUT, "linear-legacy.pt"), _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
