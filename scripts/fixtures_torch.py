"""torch.save fixtures for kioku's .pt reader (test/interop/torch-file.test.ts).

Writes small files with torch.save (the zip format of PyTorch >= 1.6, and one in the legacy
pre-1.6 format) and, in expected.json, what kioku must read from each: every tensor's dtype,
shape and values, the plain Python values around them, and reference outputs for the
recurrent models. Also writes malicious pickles, assembled opcode by opcode and never
unpickled here: loading them with pickle would run a shell command.

    /usr/bin/python3 scripts/fixtures_torch.py
"""
import copy
import io
import json
import math
import pickletools
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

OUT = Path(__file__).resolve().parent.parent / 'fixtures' / 'torch'
# A file the malicious pickles would create if anything ran them; the tests check it stays absent.
PWNED = '/tmp/kioku-torch-fixture-pwned'


def number(v):
    """JSON-safe number: NaN and infinities as strings, floats to 17 significant digits."""
    if isinstance(v, bool) or isinstance(v, int):
        return v
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return float(repr(v))


DTYPE_NAMES = {
    torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8',
    torch.uint8: 'U8', torch.bool: 'BOOL',
}


def describe(v):
    """What kioku's reader must produce for a value, as JSON."""
    if isinstance(v, torch.Tensor):
        flat = v.detach().reshape(-1)
        values = flat.float().tolist() if v.dtype in (torch.float16, torch.bfloat16) else flat.tolist()
        return {
            'tensor': DTYPE_NAMES[v.dtype],
            'shape': list(v.shape),
            'values': [number(x) for x in values],
            'requiresGrad': bool(v.requires_grad),
        }
    if isinstance(v, dict):
        return {'dict': [[describe(k), describe(x)] for k, x in v.items()]}
    if isinstance(v, tuple):
        return {'tuple': [describe(x) for x in v]}
    if isinstance(v, list):
        return {'list': [describe(x) for x in v]}
    if isinstance(v, bytes):
        return {'bytes': list(v)}
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return {'bigint': str(v)}
    if isinstance(v, float):
        return {'float': number(v)}
    return v


def flat(t):
    return [float(f'{x:.9g}') for x in t.detach().reshape(-1).tolist()]


class TextClassifier(nn.Module):
    """kioku's TextClassifier: Embedding -> LSTM (packed by lengths) -> last state -> Linear."""

    def __init__(self, vocab, embed, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.fc(h_n[-1])


def lstm_classifier():
    torch.manual_seed(11)
    model = TextClassifier(20, 4, 5, 2).eval()
    ids = torch.randint(1, 20, (3, 6))
    lengths = torch.tensor([6, 2, 4])
    for b, n in enumerate(lengths.tolist()):
        ids[b, n:] = 0
    with torch.no_grad():
        logits = model(ids, lengths)
    reference = {
        'config': {'vocabSize': 20, 'embedDim': 4, 'hiddenSize': 5, 'cell': 'lstm', 'numClasses': 2},
        'ids': ids.reshape(-1).tolist(), 'idsShape': list(ids.shape), 'lengths': lengths.tolist(),
        'logits': flat(logits),
    }
    return model, reference


def gru_layer():
    torch.manual_seed(12)
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True).eval()
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        y, h = gru(x)
    reference = {'x': flat(x), 'xShape': list(x.shape), 'y': flat(y), 'hN': flat(h)}
    return gru, reference


def dtypes():
    torch.manual_seed(13)
    base = torch.randn(2, 3, dtype=torch.float64)
    return OrderedDict([
        ('f64', base * 1e-3 + 1 / 3),
        ('f16', torch.tensor([0.1, -2.5, 65504.0, 6e-8, float('inf'), -0.0], dtype=torch.float16)),
        ('bf16', torch.tensor([[1.1, -3e38], [1e-30, 7.0]], dtype=torch.bfloat16)),
        ('f32', torch.tensor([float('nan'), 1.5, -1e-40], dtype=torch.float32)),
        ('i64', torch.tensor([-2**40, 7, 2**31 - 1], dtype=torch.int64)),
        ('i64small', torch.tensor([[3, -4], [0, 12]], dtype=torch.int64)),
        ('i32', torch.tensor([-5, 2**31 - 1], dtype=torch.int32)),
        ('i16', torch.tensor([-32768, 123], dtype=torch.int16)),
        ('i8', torch.tensor([-128, 127, 0], dtype=torch.int8)),
        ('u8', torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ('bool', torch.tensor([True, False, True])),
    ])


def views():
    """Non-contiguous views, an offset into a shared storage, a broadcast, a scalar, an empty tensor."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 4
    return OrderedDict([
        ('base', base),
        ('transposed', base.t()),
        ('strided', base[1:, ::2]),
        ('column', base[:, 3]),
        ('narrow', base.narrow(1, 2, 3)),
        ('expanded', torch.tensor([1.0, -2.0, 3.0]).expand(4, 3)),
        ('scalar', torch.tensor(2.5)),
        ('empty', torch.zeros(0, 3)),
        ('permuted', torch.arange(24, dtype=torch.int64).reshape(2, 3, 4).permute(2, 0, 1)),
    ])


def checkpoint(model):
    """A training checkpoint: model and optimizer state_dicts beside plain Python values."""
    torch.manual_seed(14)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(2):
        optimizer.zero_grad()
        sum(p.square().sum() for p in model.parameters()).backward()
        optimizer.step()
    return {
        'model': model.state_dict(),
        'optimizer': optimizer.state_dict(),
        'epoch': 3,
        'loss': 0.6913,
        'name': 'lstm-run ✓',
        'history': [0.9, 0.75, float('inf')],
        'flags': (True, False, None),
        'big': 2**40,
        'huge': -(2**70),
        'raw': b'\x00\x01\xffkioku',
        'nested': {1: {'deep': [(), [], {}]}},
    }


def parameters():
    """Parameters (not plain tensors) saved directly: torch._utils._rebuild_parameter."""
    torch.manual_seed(15)
    layer = nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    return OrderedDict(layer.named_parameters())


# --- malicious pickles, written opcode by opcode (protocol 2) -----------------------------------

def op_global(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def op_str(s):
    b = s.encode()
    return b'X' + struct.pack('<I', len(b)) + b


def evil_reduce(module, name, *args):
    """module.name(*args) through REDUCE: what pickle.loads would call."""
    body = b'\x80\x02' + op_global(module, name) + b'('
    for a in args:
        if isinstance(a, list):
            body += b']' + b'(' + b''.join(op_str(x) for x in a) + b'e'
        else:
            body += op_str(a)
    return body + b'tR'


def evil_files():
    shell = f'touch {PWNED}'
    os_system = evil_reduce('os', 'system', shell) + b'.'
    builtins_eval = evil_reduce('builtins', 'eval', f"__import__('os').system('{shell}')") + b'.'
    # A plausible state_dict whose second value is a subprocess call.
    tensor_then_subprocess = (
        b'\x80\x02' + op_global('collections', 'OrderedDict') + b')R('
        + op_str('weight') + b'K\x01'
        + op_str('bias') + evil_reduce('subprocess', 'check_output', ['touch', PWNED])[2:]
        + b'u.'
    )
    # GLOBAL of an arbitrary module, instantiated through NEWOBJ and BUILD (no REDUCE).
    any_global = (
        b'\x80\x02' + op_global('kioku_payload.module', 'Payload') + b')\x81'
        + b'}' + op_str('command') + op_str(shell) + b's' + b'b.'
    )
    return {
        'evil_os_system.pt': os_system,
        'evil_eval.pkl': builtins_eval,
        'evil_subprocess.pt': tensor_then_subprocess,
        'evil_global.pt': any_global,
    }


def zip_archive(prefix, pickle_bytes):
    """The zip layout torch.save writes, holding `pickle_bytes` as data.pkl."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr(f'{prefix}/data.pkl', pickle_bytes)
        z.writestr(f'{prefix}/version', '3\n')
    return buf.getvalue()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {'torch': torch.__version__, 'files': {}, 'malicious': {}, 'pwned': PWNED}

    model, classifier_ref = lstm_classifier()
    gru, gru_ref = gru_layer()
    objects = {
        'lstm_classifier.pt': model.state_dict(),
        'gru.pt': gru.state_dict(),
        'dtypes.pt': dtypes(),
        'views.pt': views(),
        'checkpoint.pt': checkpoint(copy.deepcopy(model)),
        'parameters.pt': parameters(),
    }
    for name, obj in objects.items():
        torch.save(obj, OUT / name)
        expected['files'][name] = describe(obj)
    torch.save(gru.state_dict(), OUT / 'gru_legacy.pt', _use_new_zipfile_serialization=False)
    expected['files']['gru_legacy.pt'] = describe(gru.state_dict())
    expected['reference'] = {'lstm_classifier.pt': classifier_ref, 'gru.pt': gru_ref}

    for name, pickle_bytes in evil_files().items():
        pickletools.dis(pickle_bytes, out=io.StringIO())  # well-formed; never unpickled
        data = pickle_bytes if name.endswith('.pkl') else zip_archive(name[:-3], pickle_bytes)
        (OUT / name).write_bytes(data)
    expected['malicious'] = {
        'evil_os_system.pt': 'os.system',
        'evil_eval.pkl': 'builtins.eval',
        'evil_subprocess.pt': 'subprocess.check_output',
        'evil_global.pt': 'kioku_payload.module.Payload',
    }
    (OUT / 'expected.json').write_text(json.dumps(expected, ensure_ascii=False) + '\n')
    print(f'wrote {len(objects) + 1 + len(expected["malicious"])} files to {OUT}')


if __name__ == '__main__':
    main()
