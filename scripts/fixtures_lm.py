"""PyTorch parity fixtures for kioku's language model and its truncated-BPTT training loop.

Run by hand with Debian's PyTorch (`/usr/bin/python3 scripts/fixtures_lm.py`); writes
fixtures/text/lm.json. Each case is PyTorch's word_language_model example shrunk: an RNNModel
(Embedding -> LSTM/GRU -> Linear, optionally tied) with rounded weights, trained for one epoch
on a random token stream with the example's loop (batchify, get_batch, hidden state repackaged
between chunks, clip_grad_norm_, p -= lr * grad), then evaluated on a validation stream with
its evaluate(). Recorded: the initial weights (kioku's names), every step's loss, the weights
after the epoch and the validation cross-entropy (nats per token).
"""

import json
import math
import os

import torch

V, B, BPTT, EVAL_B, LR, CLIP = 11, 3, 5, 2, 0.5, 0.25
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'text', 'lm.json')


class RNNModel(torch.nn.Module):
    """The example's RNNModel without dropout (time-major, as the example)."""

    def __init__(self, cell, E, H, L, tie):
        super().__init__()
        self.encoder = torch.nn.Embedding(V, E)
        self.rnn = getattr(torch.nn, cell.upper())(E, H, L)
        self.decoder = torch.nn.Linear(H, V)
        if tie:
            self.decoder.weight = self.encoder.weight

    def forward(self, x, hidden):
        out, hidden = self.rnn(self.encoder(x), hidden)
        return self.decoder(out), hidden


def batchify(data, bsz):
    n = data.size(0) // bsz
    return data[: n * bsz].view(bsz, -1).t().contiguous()


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


def repackage(h):
    return h.detach() if isinstance(h, torch.Tensor) else tuple(repackage(v) for v in h)


def zeros(cell, L, bsz, H):
    h = torch.zeros(L, bsz, H)
    return (h, torch.zeros(L, bsz, H)) if cell == 'lstm' else h


def kioku_names(model, cell, tie):
    out = {}
    for k, v in model.state_dict().items():
        if tie and k == 'decoder.weight':
            continue
        k = k.replace('encoder.', 'embedding.').replace('rnn.', cell + '.').replace('decoder.', 'fc.')
        out[k] = [float(x) for x in v.reshape(-1).tolist()]
    return out


def case(cell, E, H, L, tie, seed):
    torch.manual_seed(seed)
    model = RNNModel(cell, E, H, L, tie)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.round(p * 1000) / 1000)
    initial = kioku_names(model, cell, tie)
    train = torch.randint(0, V, (3 * B * BPTT + 7,))
    val = torch.randint(0, V, (23,))
    source = batchify(train, B)
    hidden = zeros(cell, L, B, H)
    losses = []
    for i in range(0, source.size(0) - 1, BPTT):
        data, targets = get_batch(source, i)
        model.zero_grad()
        hidden = repackage(hidden)
        output, hidden = model(data, hidden)
        loss = torch.nn.functional.cross_entropy(output.view(-1, V), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(p.grad, alpha=-LR)
        losses.append(loss.item())
    vsource = batchify(val, EVAL_B)
    hidden = zeros(cell, L, EVAL_B, H)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, vsource.size(0) - 1, BPTT):
            data, targets = get_batch(vsource, i)
            output, hidden = model(data, hidden)
            total += torch.nn.functional.cross_entropy(output.view(-1, V), targets, reduction='sum').item()
            count += targets.numel()
    return {
        'cell': cell,
        'embedDim': E,
        'hiddenSize': H,
        'numLayers': L,
        'tieWeights': tie,
        'train': train.tolist(),
        'val': val.tolist(),
        'initial': initial,
        'losses': losses,
        'final': kioku_names(model, cell, tie),
        'valNats': total / count,
        'valTokens': count,
    }


def main():
    cases = [
        case('lstm', 4, 6, 2, False, 1),
        case('gru', 5, 5, 1, True, 2),
        case('lstm', 6, 6, 1, True, 3),
    ]
    fixture = {
        'vocabSize': V,
        'batch': B,
        'bptt': BPTT,
        'evalBatch': EVAL_B,
        'lr': LR,
        'clip': CLIP,
        'torch': torch.__version__,
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(fixture, f)
    for c in cases:
        print(c['cell'], 'tied' if c['tieWeights'] else 'untied', 'steps', len(c['losses']), 'val', round(c['valNats'], 4), 'ln V', round(math.log(V), 4))


if __name__ == '__main__':
    main()
