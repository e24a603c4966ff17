"""PyTorch values for the kernels themselves: one layer and one direction of each recurrent cell
(forward and every gradient) and two GEMMs, in the kernels' own argument names and time-major
layouts, for test/backend/kernel-fixtures.test.ts (every backend) and the C++ kernel test binary
(native/test/kernel_test.cc, also under qemu-aarch64 in `npm run check:arm64`).

Run by hand with Debian's PyTorch (`/usr/bin/python3 scripts/fixtures_kernels.py`); writes
fixtures/kernels/kernels.txt, a line-based text file C++ reads without a parser library:

    case <name> <kind> T <T> B <B> E <E> H <H> P <P> reverse <0|1>   (kind gemm: m n k transA transB)
    lengths <B values>                         (absent: every sample runs all T steps)
    <array> <count> <values…>                  inputs, upstream gradients, then expected values
    end

A reverse case is the backward half of a bidirectional layer: its weights are the `_reverse`
parameters, its output the second half of the features, and the upstream gradients of the
forward half are zero. Inputs are rounded to 3 decimals (exact enough to reproduce in float32),
expected values printed with 7 significant digits (the tests compare at 1e-5 and 1e-4).
"""

import os

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'kernels', 'kernels.txt')
# H = 9 leaves a partial vector at every width (16, 8 and 4 lanes); B = 5 > 4 takes the packed
# per-step products, T = 1 with B = 2 the streaming path.
E, H, P = 3, 9, 4


def rounded(t):
    return torch.tensor([round(float(v), 3) for v in t.reshape(-1).tolist()]).reshape(t.shape)


def line(name, t, fmt='%.7g'):
    values = t.detach().reshape(-1).tolist()
    return f'{name} {len(values)} ' + ' '.join(fmt % v for v in values)


def given(name, t):
    """An input: its 3-decimal values print exactly, and parse back to the same float32."""
    return line(name, t, '%g')


def make(kind):
    if kind in ('rnn_tanh', 'rnn_relu'):
        return torch.nn.RNN(E, H, nonlinearity=kind[4:], bidirectional=True)
    if kind == 'lstm':
        return torch.nn.LSTM(E, H, bidirectional=True)
    if kind == 'lstm_proj':
        return torch.nn.LSTM(E, H, proj_size=P, bidirectional=True)
    return torch.nn.GRU(E, H, bidirectional=True)


def recurrent(name, kind, T, B, lengths, reverse):
    """One direction of a bidirectional layer: the kernel's inputs, upstream gradients and results."""
    lstm = kind.startswith('lstm')
    R = P if kind == 'lstm_proj' else H
    module = make(kind)
    module.load_state_dict({k: rounded(v) for k, v in module.state_dict().items()})
    d = 1 if reverse else 0
    suffix = '_reverse' if reverse else ''
    x = rounded(torch.randn(T, B, E)).requires_grad_(True)
    h0 = rounded(torch.randn(2, B, R) * 0.5).requires_grad_(True)
    c0 = rounded(torch.randn(2, B, H) * 0.5).requires_grad_(True)
    g_out = torch.zeros(T, B, 2 * R)
    g_out[:, :, d * R:(d + 1) * R] = rounded(torch.randn(T, B, R))
    g_h = torch.zeros(2, B, R)
    g_h[d] = rounded(torch.randn(B, R))
    g_c = torch.zeros(2, B, H)
    g_c[d] = rounded(torch.randn(B, H))
    xin = x if lengths is None else pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    out, hidden = module(xin, (h0, c0) if lstm else h0)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, total_length=T)
    h_n, c_n = hidden if lstm else (hidden, None)
    loss = (out * g_out).sum() + (h_n * g_h).sum() + ((c_n * g_c).sum() if lstm else 0)
    loss.backward()
    params = dict(module.named_parameters())
    p = lambda base: params[base + '_l0' + suffix]
    header = f'case {name} {kind} T {T} B {B} E {E} H {H} P {R if kind == "lstm_proj" else 0} reverse {int(reverse)}'
    rows = [header]
    if lengths is not None:
        rows.append('lengths ' + ' '.join(str(v) for v in lengths))
    inputs = [('x', x), ('h0', h0[d])] + ([('c0', c0[d])] if lstm else [])
    inputs += [('wIh', p('weight_ih')), ('wHh', p('weight_hh')), ('bIh', p('bias_ih')), ('bHh', p('bias_hh'))]
    if kind == 'lstm_proj':
        inputs.append(('wHr', p('weight_hr')))
    inputs += [('dOut', g_out[:, :, d * R:(d + 1) * R]), ('dhN', g_h[d])] + ([('dcN', g_c[d])] if lstm else [])
    expected = [('out', out[:, :, d * R:(d + 1) * R]), ('hN', h_n[d])] + ([('cN', c_n[d])] if lstm else [])
    expected += [('dx', x.grad), ('dh0', h0.grad[d])] + ([('dc0', c0.grad[d])] if lstm else [])
    expected += [('dWih', p('weight_ih').grad), ('dWhh', p('weight_hh').grad)]
    if kind == 'lstm_proj':
        expected.append(('dWhr', p('weight_hr').grad))
    expected += [('dbIh', p('bias_ih').grad), ('dbHh', p('bias_hh').grad)]
    rows += [given(n, t) for n, t in inputs] + [line(n, t) for n, t in expected]
    return rows + ['end']


def gemm(name, m, n, k, ta, tb):
    """C = C0 + op(A)·op(B), with C0 given (the kernel accumulates)."""
    a = rounded(torch.randn(k, m) if ta else torch.randn(m, k))
    b = rounded(torch.randn(n, k) if tb else torch.randn(k, n))
    c0 = rounded(torch.randn(m, n))
    c = c0 + (a.t() if ta else a) @ (b.t() if tb else b)
    header = f'case {name} gemm m {m} n {n} k {k} transA {int(ta)} transB {int(tb)}'
    return [header, given('a', a), given('b', b), given('c0', c0), line('c', c), 'end']


def main():
    torch.manual_seed(3000)
    ragged = [4, 2, 1, 3, 1]
    rows = ['# PyTorch %s kernel fixtures, written by scripts/fixtures_kernels.py' % torch.__version__]
    rows += recurrent('lstm', 'lstm', 4, 5, ragged, False)
    rows += recurrent('lstm_reverse', 'lstm', 4, 5, ragged, True)
    rows += recurrent('lstm_stream', 'lstm', 1, 2, None, False)
    rows += recurrent('lstm_proj', 'lstm_proj', 4, 5, ragged, False)
    rows += recurrent('lstm_proj_stream', 'lstm_proj', 1, 2, None, False)
    rows += recurrent('gru', 'gru', 4, 5, ragged, False)
    rows += recurrent('gru_reverse', 'gru', 4, 5, None, True)
    rows += recurrent('gru_stream', 'gru', 1, 2, None, False)
    rows += recurrent('rnn_tanh_reverse', 'rnn_tanh', 4, 5, ragged, True)
    rows += recurrent('rnn_relu', 'rnn_relu', 4, 5, ragged, False)
    rows += gemm('gemm_abt', 37, 21, 19, False, True)
    rows += gemm('gemm_atb', 13, 45, 7, True, False)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        f.write('\n'.join(rows) + '\n')
    print(OUT, os.path.getsize(OUT))


if __name__ == '__main__':
    main()
