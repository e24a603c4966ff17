"""Writes PyTorch reference values for kioku's layers, losses, optimizers and schedulers.

Run by hand with Debian's python3-torch:  /usr/bin/python3 scripts/fixtures_foundation.py
Output: fixtures/foundation/{layers,losses,optim,schedulers}.json (committed; tests read them).
"""

import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'foundation')


def r(x):
    """Floats rounded to 9 significant digits, as nested lists."""
    if isinstance(x, torch.Tensor):
        x = x.detach().tolist()
    if isinstance(x, list):
        return [r(v) for v in x]
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        return float('%.9g' % x)
    return x


def flat(t):
    return r(t.detach().reshape(-1))


def dump(name, obj):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


# ---------------------------------------------------------------- layers
def layers():
    out = {}
    cases = []
    for name, x_shape, bias in [('2d', (3, 4), True), ('3d', (2, 3, 4), True), ('nobias', (3, 4), False)]:
        lin = torch.nn.Linear(4, 5, bias=bias)
        x = randn(*x_shape).requires_grad_()
        y = lin(x)
        g = randn(*y.shape)
        y.backward(g)
        cases.append({
            'name': name, 'xShape': list(x_shape), 'x': flat(x), 'weight': flat(lin.weight),
            'bias': flat(lin.bias) if bias else None, 'y': flat(y), 'gOut': flat(g),
            'gx': flat(x.grad), 'gWeight': flat(lin.weight.grad),
            'gBias': flat(lin.bias.grad) if bias else None,
        })
    out['linear'] = cases

    cases = []
    for name, pad in [('pad2', 2), ('padneg', -1), ('nopad', None)]:
        emb = torch.nn.Embedding(7, 3, padding_idx=pad)
        idx = torch.tensor([[0, 2, 6, 2], [6, 1, 1, 0]])
        y = emb(idx)
        g = randn(*y.shape)
        y.backward(g)
        cases.append({
            'name': name, 'paddingIdx': pad, 'weight': flat(emb.weight), 'indices': idx.reshape(-1).tolist(),
            'indexShape': list(idx.shape), 'y': flat(y), 'gOut': flat(g), 'gWeight': flat(emb.weight.grad),
        })
    out['embedding'] = cases
    dump('layers.json', out)


# ---------------------------------------------------------------- losses
def loss_case(kind, name, x, target, fn, opts, weight=None, pos_weight=None):
    x = x.clone().requires_grad_()
    t = target.clone()
    if t.dtype.is_floating_point:
        t.requires_grad_()
    y = fn(x, t)
    g = randn(*y.shape) if y.dim() > 0 else torch.tensor(1.0)
    y.backward(g)
    case = {
        'kind': kind, 'name': name, 'options': opts, 'xShape': list(x.shape), 'x': flat(x),
        'targetShape': list(t.shape),
        'target': t.reshape(-1).tolist() if not t.dtype.is_floating_point else flat(t),
        'y': flat(y), 'yShape': list(y.shape), 'gOut': flat(g), 'gx': flat(x.grad),
    }
    if t.dtype.is_floating_point:
        case['gTarget'] = flat(t.grad)
    if weight is not None:
        case['weight'] = flat(weight)
    if pos_weight is not None:
        case['posWeight'] = flat(pos_weight)
    return case


def losses():
    cases = []
    N, C = 6, 4
    x = randn(N, C) * 2
    tgt = torch.tensor([0, 3, 1, 1, 2, 3])
    tgt_ign = torch.tensor([0, -100, 1, 3, 2, -100])
    tgt_ign5 = torch.tensor([0, 2, 1, 2, 3, 2])
    w = torch.tensor([0.5, 2.0, 1.0, 0.25])
    x4 = randn(2, C, 3, 2)
    t4 = torch.randint(0, C, (2, 3, 2))
    for red in ['mean', 'sum', 'none']:
        for ls in [0.0, 0.2]:
            for wname, wt in [('', None), ('weight', w)]:
                for ign_name, t, ign in [('', tgt, -100), ('ignore', tgt_ign, -100), ('ignore2', tgt_ign5, 2)]:
                    opts = {'reduction': red, 'labelSmoothing': ls, 'ignoreIndex': ign}
                    name = f'{red} ls={ls} {wname} {ign_name}'
                    cases.append(loss_case(
                        'crossEntropy', name, x, t,
                        lambda a, b, wt=wt, red=red, ls=ls, ign=ign: F.cross_entropy(
                            a, b, weight=wt, reduction=red, label_smoothing=ls, ignore_index=ign),
                        opts, weight=wt))
        cases.append(loss_case(
            'crossEntropy', f'{red} spatial weight ls', x4, t4,
            lambda a, b, red=red: F.cross_entropy(a, b, weight=w, reduction=red, label_smoothing=0.1),
            {'reduction': red, 'labelSmoothing': 0.1}, weight=w))
    cases.append(loss_case('crossEntropy', 'unbatched', randn(5), torch.tensor(3),
                           lambda a, b: F.cross_entropy(a, b), {}))
    # Large logits: the log-sum-exp must stay finite.
    big = torch.tensor([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 499.0]])
    cases.append(loss_case('crossEntropy', 'large logits', big, torch.tensor([1, 2]),
                           lambda a, b: F.cross_entropy(a, b), {}))

    xa, xb = randn(3, 5), randn(3, 5)
    xb[0, 0] = xa[0, 0] + 0.5  # inside Huber's quadratic zone for delta 1
    for red in ['mean', 'sum', 'none']:
        cases.append(loss_case('mse', red, xa, xb, lambda a, b, red=red: F.mse_loss(a, b, reduction=red),
                               {'reduction': red}))
        cases.append(loss_case('l1', red, xa, xb, lambda a, b, red=red: F.l1_loss(a, b, reduction=red),
                               {'reduction': red}))
        for delta in [1.0, 0.5]:
            cases.append(loss_case(
                'huber', f'{red} delta={delta}', xa, xb,
                lambda a, b, red=red, delta=delta: F.huber_loss(a, b, reduction=red, delta=delta),
                {'reduction': red, 'delta': delta}))

    logits = randn(4, 3) * 3
    logits[0, 0] = 40.0
    logits[1, 1] = -40.0
    targets = torch.rand(4, 3)
    targets[0] = torch.tensor([1.0, 0.0, 1.0])
    pw = torch.tensor([2.0, 0.5, 1.0])
    bw = torch.tensor([1.0, 0.3, 2.0])
    for red in ['mean', 'sum', 'none']:
        for name, pwv, bwv in [('', None, None), ('posWeight', pw, None), ('weight', None, bw),
                               ('both', pw, bw)]:
            cases.append(loss_case(
                'bceWithLogits', f'{red} {name}', logits, targets,
                lambda a, b, red=red, pwv=pwv, bwv=bwv: F.binary_cross_entropy_with_logits(
                    a, b, weight=bwv, pos_weight=pwv, reduction=red),
                {'reduction': red}, weight=bwv, pos_weight=pwv))
    dump('losses.json', cases)


# ---------------------------------------------------------------- optimizers
def optimizers():
    start = {'w': randn(3, 4), 'b': randn(4)}
    # Gradients for each step come from a fixed quadratic: L = Σ a ⊙ (p − c)² / 2 + Σ sin(p).
    a = {'w': torch.rand(3, 4) + 0.5, 'b': torch.rand(4) + 0.5}
    c = {'w': randn(3, 4), 'b': randn(4)}
    configs = [
        ('sgd', 'plain', {'lr': 0.1}),
        ('sgd', 'momentum', {'lr': 0.1, 'momentum': 0.9}),
        ('sgd', 'dampening', {'lr': 0.05, 'momentum': 0.8, 'dampening': 0.3, 'weight_decay': 0.01}),
        ('sgd', 'nesterov', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}),
        ('sgd', 'weightDecay', {'lr': 0.1, 'weight_decay': 0.1}),
        ('sgd', 'maximize', {'lr': 0.1, 'momentum': 0.5, 'maximize': True}),
        ('adam', 'plain', {'lr': 0.01}),
        ('adam', 'betas weightDecay', {'lr': 0.05, 'betas': (0.8, 0.9), 'eps': 1e-6, 'weight_decay': 0.1}),
        ('adam', 'amsgrad', {'lr': 0.05, 'amsgrad': True}),
        ('adam', 'maximize', {'lr': 0.01, 'maximize': True}),
        ('adamw', 'plain', {'lr': 0.01}),
        ('adamw', 'amsgrad', {'lr': 0.05, 'weight_decay': 0.1, 'amsgrad': True}),
        ('rmsprop', 'plain', {'lr': 0.01}),
        ('rmsprop', 'centered', {'lr': 0.01, 'centered': True, 'weight_decay': 0.05}),
        ('rmsprop', 'momentum', {'lr': 0.01, 'momentum': 0.9, 'alpha': 0.9}),
        ('rmsprop', 'centered momentum', {'lr': 0.005, 'momentum': 0.5, 'centered': True, 'eps': 1e-4}),
    ]
    classes = {'sgd': torch.optim.SGD, 'adam': torch.optim.Adam, 'adamw': torch.optim.AdamW,
               'rmsprop': torch.optim.RMSprop}
    state_names = {'momentum_buffer': 'momentumBuffer', 'exp_avg': 'expAvg', 'exp_avg_sq': 'expAvgSq',
                   'max_exp_avg_sq': 'maxExpAvgSq', 'square_avg': 'squareAvg', 'grad_avg': 'gradAvg',
                   'step': 'step'}
    cases = []
    for kind, name, hp in configs:
        params = [start['w'].clone().requires_grad_(), start['b'].clone().requires_grad_()]
        opt = classes[kind](params, **hp)
        steps = []
        for _ in range(5):
            opt.zero_grad()
            loss = sum(((a[k] * (p - c[k]) ** 2) / 2 + torch.sin(p)).sum() for k, p in zip(['w', 'b'], params))
            loss.backward()
            grads = [flat(p.grad) for p in params]
            opt.step()
            state = []
            for p in params:
                st = {}
                for k, v in opt.state[p].items():
                    if v is None:
                        continue
                    if isinstance(v, (int, float)):
                        st[state_names[k]] = v
                    else:
                        st[state_names[k]] = v.item() if v.dim() == 0 else flat(v)
                state.append(st)
            steps.append({'grads': grads, 'params': [flat(p) for p in params], 'state': state})
        options = {}
        for k, v in hp.items():
            key = {'weight_decay': 'weightDecay'}.get(k, k)
            options[key] = list(v) if isinstance(v, tuple) else v
        cases.append({'kind': kind, 'name': name, 'options': options,
                      'start': [flat(start['w']), flat(start['b'])], 'shapes': [[3, 4], [4]], 'steps': steps})

    clip = []
    grads = [randn(3, 4) * 2, randn(5)]
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (2.0, 1.0), (0.5, math.inf), (3.0, 3.0)]:
        ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        clip.append({'maxNorm': max_norm, 'normType': 'inf' if norm_type == math.inf else norm_type,
                     'grads': [flat(g) for g in grads], 'shapes': [[3, 4], [5]], 'total': r(total.item()),
                     'clipped': [flat(p.grad) for p in ps]})
    ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(ps, 0.7)
    clip_value = {'clipValue': 0.7, 'grads': [flat(g) for g in grads], 'shapes': [[3, 4], [5]],
                  'clipped': [flat(p.grad) for p in ps]}
    dump('optim.json', {'optimizers': cases, 'clipGradNorm': clip, 'clipGradValue': clip_value})


# ---------------------------------------------------------------- schedulers
def schedulers():
    S = torch.optim.lr_scheduler
    configs = [
        ('stepLR', {'stepSize': 3, 'gamma': 0.5}, lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
        ('stepLR', {'stepSize': 1}, lambda o: S.StepLR(o, step_size=1)),
        ('exponentialLR', {'gamma': 0.9}, lambda o: S.ExponentialLR(o, gamma=0.9)),
        ('cosineAnnealingLR', {'tMax': 5}, lambda o: S.CosineAnnealingLR(o, T_max=5)),
        ('cosineAnnealingLR', {'tMax': 4, 'etaMin': 0.01}, lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01)),
        ('linearWarmup', {}, lambda o: S.LinearLR(o)),
        ('linearWarmup', {'startFactor': 0.1, 'endFactor': 0.9, 'totalIters': 4},
         lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=4)),
    ]
    cases = []
    for kind, opts, make in configs:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        lrs = [opt.param_groups[0]['lr']]
        for _ in range(12):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]['lr'])
        cases.append({'kind': kind, 'options': opts, 'lr': 0.1, 'lrs': r(lrs)})

    metrics = [1.0, 0.9, 0.95, 0.95, 0.91, 0.89999, 0.96, 0.97, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    plateau = [
        ({}, metrics),
        ({'patience': 1, 'factor': 0.5}, metrics),
        ({'patience': 1, 'factor': 0.5, 'cooldown': 2, 'minLr': 0.02}, metrics),
        ({'mode': 'max', 'patience': 0, 'factor': 0.5, 'thresholdMode': 'abs', 'threshold': 0.05},
         [0.1, 0.2, 0.22, 0.3, 0.31, 0.32, 0.5, 0.4, 0.4, 0.6, 0.61, 0.7]),
        ({'patience': 0, 'factor': 0.5, 'threshold': 0.1}, metrics),
        ({'patience': 0, 'factor': 0.9, 'eps': 0.02}, metrics),
    ]
    keys = {'minLr': 'min_lr', 'thresholdMode': 'threshold_mode'}
    for opts, ms in plateau:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = S.ReduceLROnPlateau(opt, **{keys.get(k, k): v for k, v in opts.items()})
        lrs = []
        for m in ms:
            opt.step()
            sched.step(m)
            lrs.append(opt.param_groups[0]['lr'])
        cases.append({'kind': 'reduceLROnPlateau', 'options': opts, 'lr': 0.1, 'metrics': ms, 'lrs': r(lrs)})
    dump('schedulers.json', cases)


def main():
    layers()
    losses()
    optimizers()
    schedulers()


if __name__ == '__main__':
    main()
