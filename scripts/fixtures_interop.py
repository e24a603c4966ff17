"""PyTorch fixtures for kioku's interop tests (test/interop/pytorch.test.ts).

Builds recurrent layers and a text classifier with fixed seeds (no training), saves each
state_dict as safetensors (written here with struct/json, so the `safetensors` package is not
needed) and the inputs and PyTorch's outputs as JSON.

    /usr/bin/python3 scripts/fixtures_interop.py
"""
import json
import struct
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

OUT = Path(__file__).resolve().parent.parent / 'fixtures' / 'interop'


def write_safetensors(path, tensors):
    """safetensors: u64 LE header length, JSON header padded with spaces to 8 bytes, LE data."""
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    path.write_bytes(struct.pack('<Q', len(text)) + text + b''.join(chunks))


def flat(t):
    return [float(f'{v:.9g}') for v in t.detach().reshape(-1).tolist()]


class TextClassifier(nn.Module):
    """Embedding -> LSTM/GRU/RNN (packed by lengths) -> last state or mean -> Linear."""

    def __init__(self, cell, vocab, embed, hidden, layers, bidirectional, pooling, classes):
        super().__init__()
        self.cell, self.pooling = cell, pooling
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        rnn = {'lstm': nn.LSTM, 'gru': nn.GRU, 'rnn': nn.RNN}[cell]
        setattr(self, cell, rnn(embed, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional))
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def forward(self, ids, lengths):
        x = self.embedding(ids)
        rnn = getattr(self, self.cell)
        out, h_n = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n
        d = 2 if rnn.bidirectional else 1
        return self.fc(torch.cat([h_n[-d + k] for k in range(d)], dim=1))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    layers = [
        ('lstm_2layer_bidir', nn.LSTM, dict(num_layers=2, bidirectional=True, batch_first=True)),
        ('gru_1layer', nn.GRU, dict(num_layers=1)),
        ('rnn_relu_2layer', nn.RNN, dict(num_layers=2, nonlinearity='relu', batch_first=True)),
        ('lstm_proj', nn.LSTM, dict(num_layers=1, proj_size=2, batch_first=True)),
    ]
    for i, (name, cls, kw) in enumerate(layers):
        torch.manual_seed(100 + i)
        layer = cls(3, 4, **kw).eval()
        B, T = 3, 5
        x = torch.randn((B, T, 3) if kw.get('batch_first') else (T, B, 3))
        lengths = torch.tensor([5, 2, 4])
        with torch.no_grad():
            y, h = layer(x)
        h, c = h if isinstance(h, tuple) else (h, None)
        write_safetensors(OUT / f'{name}.safetensors', layer.state_dict())
        case = {
            'name': name,
            'kind': cls.__name__,
            'options': {k: v for k, v in kw.items()},
            'inputSize': 3,
            'hiddenSize': 4,
            'x': flat(x),
            'xShape': list(x.shape),
            'y': flat(y),
            'hN': flat(h),
        }
        if c is not None:
            case['cN'] = flat(c)
        # Ragged lengths through the packed API (not for the projected LSTM).
        if 'proj_size' not in kw:
            packed = pack_padded_sequence(x, lengths, batch_first=kw.get('batch_first', False), enforce_sorted=False)
            with torch.no_grad():
                _, hp = layer(packed)
            hp = hp[0] if isinstance(hp, tuple) else hp
            case['lengths'] = lengths.tolist()
            case['hNPacked'] = flat(hp)
        cases.append(case)

    classifiers = []
    for i, (cell, bidirectional) in enumerate([('lstm', False), ('gru', True)]):
        torch.manual_seed(200 + i)
        model = TextClassifier(cell, 30, 6, 5, 2 if bidirectional else 1, bidirectional, 'last', 2).eval()
        ids = torch.randint(1, 30, (3, 7))
        lengths = torch.tensor([7, 3, 5])
        for b, n in enumerate(lengths.tolist()):
            ids[b, n:] = 0
        with torch.no_grad():
            logits = model(ids, lengths)
        name = f'classifier_{cell}'
        write_safetensors(OUT / f'{name}.safetensors', model.state_dict())
        classifiers.append({
            'name': name,
            'config': {'vocabSize': 30, 'embedDim': 6, 'hiddenSize': 5, 'numLayers': 2 if bidirectional else 1,
                       'cell': cell, 'bidirectional': bidirectional, 'pooling': 'last', 'numClasses': 2},
            'ids': ids.reshape(-1).tolist(),
            'idsShape': list(ids.shape),
            'lengths': lengths.tolist(),
            'logits': flat(logits),
        })
    (OUT / 'pytorch.json').write_text(json.dumps({'torch': torch.__version__, 'layers': cases, 'classifiers': classifiers}) + '\n')


if __name__ == '__main__':
    main()
