"""Writes PyTorch reference values for kioku's SparseAdam (lazy Adam on embedding rows).

Run by hand with Debian's python3-torch:  /usr/bin/python3 scripts/fixtures_sparse_adam.py
Output: fixtures/foundation/sparse-adam.json (committed; test/optim/sparse-adam.test.ts reads it).
An nn.Embedding(sparse=True) of 8 rows × 3 trained by torch.optim.SparseAdam for 6 steps; each
step's batch leaves some rows out (repeated indices included), so absent rows must stay as they are.
"""

import json
import math
import os

import torch

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'foundation')

BATCHES = [[0, 2, 2, 5], [1, 2, 7], [0, 0, 3], [2, 5, 6, 6, 6], [4], [1, 2, 7, 5]]
CONFIGS = [
    ('plain', {'lr': 0.01}),
    ('betas eps', {'lr': 0.05, 'betas': (0.8, 0.95), 'eps': 1e-4}),
    ('maximize', {'lr': 0.02, 'maximize': True}),
]


def flat(t):
    return [float('%.9g' % x) for x in t.detach().reshape(-1).tolist()]


def run(hp, start, target):
    emb = torch.nn.Embedding(8, 3, sparse=True)
    with torch.no_grad():
        emb.weight.copy_(start)
    opt = torch.optim.SparseAdam(list(emb.parameters()), **hp)
    steps = []
    for batch in BATCHES:
        opt.zero_grad()
        idx = torch.tensor(batch)
        out = emb(idx)
        # A loss whose gradient is non-zero on every row present.
        loss = ((out - target[idx]) ** 2).sum() / 2 + torch.sin(out).sum()
        loss.backward()
        grad = emb.weight.grad.coalesce().to_dense()
        opt.step()
        st = opt.state[emb.weight]
        steps.append({'rows': sorted(set(batch)), 'grad': flat(grad), 'param': flat(emb.weight),
                      'expAvg': flat(st['exp_avg']), 'expAvgSq': flat(st['exp_avg_sq']), 'step': st['step']})
    return steps


def main():
    start = torch.randn(8, 3)
    target = torch.randn(8, 3)
    cases = []
    for name, hp in CONFIGS:
        options = {k: list(v) if isinstance(v, tuple) else v for k, v in hp.items()}
        cases.append({'name': name, 'options': options, 'shape': [8, 3], 'start': flat(start),
                      'steps': run(hp, start, target)})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'sparse-adam.json'), 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
    assert not math.isnan(cases[0]['steps'][-1]['param'][0])


if __name__ == '__main__':
    main()
