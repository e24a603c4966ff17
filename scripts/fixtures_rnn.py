"""PyTorch parity fixtures for kioku's RNN, LSTM and GRU layers.

Run by hand with Debian's PyTorch (`/usr/bin/python3 scripts/fixtures_rnn.py`); writes
fixtures/rnn/{rnn_tanh,rnn_relu,lstm,lstm_proj,gru}.json (layers) and
cells.json (one step of each cell). Each file holds one case per
(numLayers, bidirectional) with the inputs, the initial states, the parameters (state_dict
names), fixed upstream gradients, and two runs: equal lengths and ragged lengths (packed with
enforce_sorted=False, padded back to T). Every run was also done with batch_first=True and
checked here to be the transpose of the time-major run, so one record serves both layouts.
Arrays are flattened row-major; sequences are time-major (T, B, ·).
"""

import json
import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

E, H, T, B, P = 7, 5, 9, 4, 3
RAGGED = [9, 5, 1, 7]
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'rnn')


def short(t, digits=3):
    """Inputs: rounded so the decimal text is exact enough to reproduce the float32 values."""
    return [round(float(v), digits) for v in t.detach().reshape(-1).tolist()]


def result(t, digits=7):
    """Outputs: 7 significant digits, gradients: 6 (tests compare at 1e-5 / 1e-4 relative)."""
    return [float('%.*g' % (digits, v)) for v in t.detach().reshape(-1).tolist()]


def rounded(t, digits):
    return torch.tensor(short(t, digits), dtype=torch.float32).reshape(t.shape)


def make(kind, layers, bidirectional, batch_first):
    common = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    if kind == 'rnn_tanh':
        return torch.nn.RNN(E, H, nonlinearity='tanh', **common)
    if kind == 'rnn_relu':
        return torch.nn.RNN(E, H, nonlinearity='relu', **common)
    if kind == 'lstm':
        return torch.nn.LSTM(E, H, **common)
    if kind == 'lstm_proj':
        return torch.nn.LSTM(E, H, proj_size=P, **common)
    return torch.nn.GRU(E, H, **common)


def run(kind, module, state, x, h0, c0, g_out, g_h, g_c, lengths, batch_first):
    """Forward + backward of L = Σ out⊙gOut + Σ hN⊙gH (+ Σ cN⊙gC); returns time-major tensors."""
    module.zero_grad()
    x = x.clone().requires_grad_(True)
    h0 = h0.clone().requires_grad_(True)
    is_lstm = kind.startswith('lstm')
    if is_lstm:
        c0 = c0.clone().requires_grad_(True)
    xin = x.transpose(0, 1) if batch_first else x
    if lengths is not None:
        xin = pack_padded_sequence(xin, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
    out, hidden = module(xin, (h0, c0) if is_lstm else h0)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=T)
    if batch_first:
        out = out.transpose(0, 1)
    h_n, c_n = hidden if is_lstm else (hidden, None)
    loss = (out * g_out).sum() + (h_n * g_h).sum()
    if is_lstm:
        loss = loss + (c_n * g_c).sum()
    loss.backward()
    grads = {'x': x.grad, 'h0': h0.grad}
    if is_lstm:
        grads['c0'] = c0.grad
    for name, p in module.named_parameters():
        grads[name] = p.grad
    return out, h_n, c_n, grads


def case(kind, layers, bidirectional):
    D = 2 if bidirectional else 1
    R = P if kind == 'lstm_proj' else H
    tm = make(kind, layers, bidirectional, False)
    bf = make(kind, layers, bidirectional, True)
    state = {k: rounded(v, 3) for k, v in tm.state_dict().items()}
    tm.load_state_dict(state)
    bf.load_state_dict(state)
    x = rounded(torch.randn(T, B, E), 3)
    h0 = rounded(torch.randn(layers * D, B, R) * 0.5, 3)
    c0 = rounded(torch.randn(layers * D, B, H) * 0.5, 3)
    g_out = rounded(torch.randn(T, B, D * R), 3)
    g_h = rounded(torch.randn(layers * D, B, R), 3)
    g_c = rounded(torch.randn(layers * D, B, H), 3)
    record = {
        'numLayers': layers,
        'bidirectional': bidirectional,
        'x': short(x),
        'h0': short(h0),
        'params': {k: short(v) for k, v in state.items()},
        'gOutput': short(g_out),
        'gHN': short(g_h),
        'runs': [],
    }
    if kind.startswith('lstm'):
        record['c0'] = short(c0)
        record['gCN'] = short(g_c)
    for lengths in (None, RAGGED):
        out, h_n, c_n, grads = run(kind, tm, state, x, h0, c0, g_out, g_h, g_c, lengths, False)
        out2, h_n2, c_n2, grads2 = run(kind, bf, state, x, h0, c0, g_out, g_h, g_c, lengths, True)
        assert torch.allclose(out, out2, atol=1e-6) and torch.allclose(h_n, h_n2, atol=1e-6)
        for k in grads:
            assert torch.allclose(grads[k], grads2[k], atol=1e-5), k
        entry = {
            'lengths': lengths,
            'output': result(out),
            'hN': result(h_n),
            'grads': {k: result(v, 6) for k, v in grads.items()},
        }
        if c_n is not None:
            entry['cN'] = result(c_n)
        record['runs'].append(entry)
    return record


def cell_case(kind):
    """One step of RNNCell / LSTMCell / GRUCell (B=3) with gradients of x, the state and the parameters."""
    Bc = 3
    cells = {
        'rnn_tanh': lambda: torch.nn.RNNCell(E, H, nonlinearity='tanh'),
        'rnn_relu': lambda: torch.nn.RNNCell(E, H, nonlinearity='relu'),
        'lstm': lambda: torch.nn.LSTMCell(E, H),
        'gru': lambda: torch.nn.GRUCell(E, H),
    }
    cell = cells[kind]()
    state = {k: rounded(v, 4) for k, v in cell.state_dict().items()}
    cell.load_state_dict(state)
    x = rounded(torch.randn(Bc, E), 3).requires_grad_(True)
    h = rounded(torch.randn(Bc, H) * 0.5, 3).requires_grad_(True)
    c = rounded(torch.randn(Bc, H) * 0.5, 3).requires_grad_(True)
    g_h = rounded(torch.randn(Bc, H), 3)
    g_c = rounded(torch.randn(Bc, H), 3)
    record = {'kind': kind, 'x': short(x), 'h': short(h), 'params': {k: short(v, 4) for k, v in state.items()}, 'gH': short(g_h)}
    if kind == 'lstm':
        h1, c1 = cell(x, (h, c))
        ((h1 * g_h).sum() + (c1 * g_c).sum()).backward()
        record.update(c=short(c), gC=short(g_c), cOut=result(c1))
    else:
        h1 = cell(x, h)
        (h1 * g_h).sum().backward()
    record['hOut'] = result(h1)
    grads = {'x': result(x.grad, 6), 'h': result(h.grad, 6)}
    if kind == 'lstm':
        grads['c'] = result(c.grad, 6)
    for name, p in cell.named_parameters():
        grads[name] = result(p.grad, 6)
    record['grads'] = grads
    return record


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for seed, kind in enumerate(['rnn_tanh', 'rnn_relu', 'lstm', 'lstm_proj', 'gru']):
        torch.manual_seed(1000 + seed)
        data = {
            'kind': kind,
            'inputSize': E,
            'hiddenSize': H,
            'projSize': P if kind == 'lstm_proj' else 0,
            'T': T,
            'B': B,
            'cases': [case(kind, layers, bi) for layers in (1, 3) for bi in (False, True)],
        }
        path = os.path.join(OUT_DIR, kind + '.json')
        with open(path, 'w') as f:
            json.dump(data, f, separators=(',', ':'))
        print(path, os.path.getsize(path))
    torch.manual_seed(2000)
    path = os.path.join(OUT_DIR, 'cells.json')
    with open(path, 'w') as f:
        json.dump({'inputSize': E, 'hiddenSize': H, 'B': 3,
                   'cells': [cell_case(k) for k in ('rnn_tanh', 'rnn_relu', 'lstm', 'gru')]}, f, separators=(',', ':'))
    print(path, os.path.getsize(path))


if __name__ == '__main__':
    main()
