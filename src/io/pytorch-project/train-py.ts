/** train.py of an exported PyTorch project: DistributedDataParallel training under torchrun. */
export const TRAIN_PY = String.raw`"""Trains the exported kioku model with PyTorch, on one process or many.

    python3 train.py                                  # one process
    torchrun --standalone --nproc_per_node 2 train.py # two processes on this machine
    torchrun --nnodes N --nproc_per_node M --rdzv_backend c10d --rdzv_endpoint HOST:29500 train.py

Under torchrun every process trains a DistributedDataParallel replica on its share of each batch
(gloo on CPU, NCCL on GPUs), so --batch is the global batch and the optimisation matches kioku's
(Adam, the same learning rate, weight decay, loss, label smoothing and gradient clipping). The best epoch by the validation
measure kioku monitors is kept; a forecaster also starts from the baseline and stops early as kioku does. Rank 0 writes each epoch to OUT/checkpoints/epoch-N and the
result to OUT/model: config.json + model.safetensors, kioku's model directory, which kioku opens.
"""
import argparse
import copy
import json
import os
import shutil
import struct
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import data
from model import build_model, read_safetensors

HERE = Path(__file__).resolve().parent


def parse_args(settings):
    """The flags of the task the project was exported for (a classifier's or a forecaster's)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=settings['data'], help='data file or directory (default: %(default)s)')
    p.add_argument('--epochs', type=int, default=settings['epochs'])
    p.add_argument('--batch', type=int, default=settings['batch'], help='global batch size, over all processes')
    p.add_argument('--lr', type=float, default=settings['lr'])
    p.add_argument('--weight-decay', type=float, default=settings.get('weightDecay', 0.0), help="Adam's L2 weight decay (default: %(default)s)")
    p.add_argument('--seed', type=int, default=settings['seed'])
    p.add_argument('--out', default='runs', help='output directory (default: %(default)s)')
    p.add_argument('--init', action='store_true', help="start from the exported weights (model.safetensors) instead of PyTorch's initialisation")
    p.add_argument('--device', default='auto', choices=['auto', 'cpu', 'cuda'])
    if settings['task'] == 'forecasting':
        p.add_argument('--patience', type=int, default=settings.get('patience'),
                       help='stop after this many epochs without a better validation error (default: %(default)s)')
        p.add_argument('--lr-schedule', default=settings.get('lrSchedule', 'constant'), choices=['plateau', 'cosine', 'constant'],
                       help='halve the rate after 2 epochs without progress, cosine to 0, or constant (default: %(default)s)')
        p.set_defaults(label_smoothing=0.0)
    else:
        p.add_argument('--label-smoothing', type=float, default=settings.get('labelSmoothing', 0.0), help="the loss's label smoothing (default: %(default)s)")
        p.add_argument('--limit', type=int, default=settings.get('limit'), help='use only this many examples (seeded)')
        p.add_argument('--build-vocab', action='store_true', help='build the vocabulary from the training split instead of using the model\'s')
        p.add_argument('--vocab-size', type=int, default=settings.get('vocabSize'))
        p.add_argument('--min-freq', type=int, default=settings.get('minFreq', 1))
    return p.parse_args()


# --- processes ---------------------------------------------------------------------------------

class Dist:
    """This process's place among the torchrun processes (one process without torchrun)."""

    def __init__(self, device):
        self.world = int(os.environ.get('WORLD_SIZE', '1'))
        self.rank = int(os.environ.get('RANK', '0'))
        local = int(os.environ.get('LOCAL_RANK', '0'))
        cuda = device == 'cuda' or (device == 'auto' and torch.cuda.is_available())
        self.device = torch.device(f'cuda:{local}' if cuda else 'cpu')
        if cuda:
            torch.cuda.set_device(self.device)
        self.backend = 'nccl' if cuda else 'gloo'
        if self.world > 1:
            dist.init_process_group(self.backend)

    @property
    def main(self):
        return self.rank == 0

    def log(self, message):
        if self.main:
            print(message, flush=True)

    def sum(self, values):
        """Element-wise sum over all processes of a list of floats."""
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()


# --- kioku's model directory -------------------------------------------------------------------

def safetensors_bytes(tensors):
    """A safetensors file: u64 header length, JSON header padded with spaces, little-endian data."""
    header, chunks, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, t in tensors.items():
        t = t.detach().to('cpu', torch.float32).contiguous()
        raw = struct.pack(f'<{t.numel()}f', *t.reshape(-1).tolist())
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(chunks)


def save_model_dir(target, config, state_dict):
    """config.json + model.safetensors, written beside TARGET and renamed into place."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f'.{target.name}.tmp-{os.getpid()}')
    old = target.with_name(f'.{target.name}.old-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / 'config.json').write_text(json.dumps(config, indent=2, ensure_ascii=False) + '\n')
    (tmp / 'model.safetensors').write_bytes(safetensors_bytes(state_dict))
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


# --- tasks -------------------------------------------------------------------------------------

class TextTask:
    """Text classification: kioku's split and encoding, cross-entropy, accuracy."""

    monitor, clip, patience, from_baseline, measure_width = 'val_loss', 5.0, None, False, 3

    def __init__(self, args, config, settings, world):
        texts, labels, classes = data.load_texts(resolve(args.data), settings['textColumn'], settings['labelColumn'])
        if classes != config['labels']:
            raise SystemExit(f'{args.data}: classes {classes} differ from the model\'s {config["labels"]}')
        items = data.subsample(list(zip(texts, labels)), args.limit, args.seed)
        train, val, test = data.train_val_test_split([y for _, y in items], settings['val'], settings['test'], args.seed)
        tokenizer = data.tokenizer_from_config(config['tokenizer'])
        vocab = data.Vocab.from_config(config['vocab'])
        if args.build_vocab:
            vocab = data.Vocab.build((tokenizer.tokenize(items[i][0]) for i in train), args.vocab_size, args.min_freq)
        encode = data.TextEncoder(tokenizer, vocab, config['maxLen'], config.get('truncation', 'head'))
        ids = [encode(t) for t, _ in items]
        self.dataset = data.TextDataset(ids, [y for _, y in items])
        self.splits = {'train': train, 'val': val, 'test': test}
        self.vocab, self.classes = vocab, classes
        self.label_counts = [sum(1 for i in train if items[i][1] == c) for c in range(len(classes))]
        self.lengths = [len(x) for x in ids]  # length buckets, as kioku's text loader
        self.loss = nn.CrossEntropyLoss(reduction='sum', label_smoothing=args.label_smoothing)
        world.log(f'{len(items)} examples ({"/".join(classes)}): train {len(train)}, val {len(val)}, '
                  f'test {len(test)}; vocabulary {len(vocab.itos)} tokens')

    def start(self, model):
        pass

    def adapt(self, model):
        """A model whose embedding fits the vocabulary (a new one with --build-vocab)."""
        if model.embedding.num_embeddings != len(self.vocab.itos):
            model.embedding = nn.Embedding(len(self.vocab.itos), model.embedding.embedding_dim, padding_idx=0)
        bag = getattr(model, 'bag', None)
        if bag is not None and bag.num_embeddings != len(self.vocab.itos):
            model.bag = nn.Embedding(len(self.vocab.itos), bag.embedding_dim, padding_idx=0)
            nn.init.zeros_(model.bag.weight)
        return model

    def batch(self, split, indices):
        return data.collate_text([self.dataset[i] for i in indices])

    def step(self, model, batch, device):
        ids, lengths, labels = batch
        logits = model(ids.to(device), lengths)
        return logits, labels.to(device)

    def scheduler(self, optimizer, args):
        return None

    def measures(self, split, out, target, batch):
        loss = nn.functional.cross_entropy(out, target, reduction='sum').item()
        return [loss, float((out.argmax(1) == target).sum()), float(len(target))]

    def summary(self, sums):
        loss, correct, n = sums
        return {'loss': loss / n, 'accuracy': correct / n}

    def config(self, config):
        out = copy.deepcopy(config)
        out['vocab'] = self.vocab.to_config()
        out['architecture']['vocabSize'] = len(self.vocab.itos)
        out['labelCounts'] = self.label_counts
        return out


class SeriesTask:
    """Forecasting: kioku's windows, its step-weighted squared error on the encoded targets, the
    validation MAE (MASE over a panel) in the target's units, early stopping and its schedule."""

    clip, from_baseline, measure_width = 1.0, True, 2

    def __init__(self, args, config, settings, world):
        s = config['series']
        self.data = data.SeriesData(resolve(args.data), s)
        parts = ['train', 'val'] + (['test'] if s['steps'] == s['horizon'] else [])
        self.windows = {part: self.data.windows(part) for part in parts}
        self.splits = {part: list(range(len(w))) for part, w in self.windows.items()}
        if not self.splits['train'] or not self.splits['val']:
            raise data.DataError(f'{args.data}: the split leaves no training or validation windows')
        self.lengths = [0] * len(self.splits['train'])
        weights = self.windows['train'].step_weights()
        self.loss = lambda out, target: ((out - target) ** 2 * weights.to(out.device)).sum()
        self.units = [m['unit'] for m in s['members']] if len(s['members']) > 1 else None
        self.metric = 'mase' if self.units else 'mae'
        self.monitor, self.patience = f'val_{self.metric}', args.patience
        world.log(f'{len(self.data.members)} series, {s["lookback"]} steps in, {s["horizon"]} out: '
                  + ', '.join(f'{k} {len(v)} windows' for k, v in self.splits.items()))

    def adapt(self, model):
        return model

    def start(self, model):
        """kioku's start: the output layer at zero forecasts the transform's baseline."""
        with torch.no_grad():
            model.fc.weight.zero_()
            if model.fc.bias is not None:
                model.fc.bias.zero_()

    def batch(self, split, indices):
        return self.windows[split].collate(indices)

    def step(self, model, batch, device):
        inputs, targets, _ = batch
        return model(inputs.to(device)), targets.to(device)

    def scheduler(self, optimizer, args):
        if args.lr_schedule == 'plateau':
            return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
        if args.lr_schedule == 'cosine':
            return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
        return None

    def measures(self, split, out, target, batch):
        predicted, actual = self.windows[split].decode(out.detach().cpu(), batch[2])
        error = 0.0
        for i, p, a in zip(batch[2].tolist(), predicted, actual):
            unit = self.units[self.windows[split].at[i][0]] if self.units else 1
            error += sum(abs(x / unit - y / unit) for x, y in zip(p, a))
        return [error, float(sum(len(a) for a in actual))]

    def summary(self, sums):
        return {self.metric: sums[0] / sums[1]}

    def config(self, config):
        """The config with the scaling fitted here and the data's tail; intervals are not recalibrated."""
        out = copy.deepcopy(config)
        for m, fitted, scaling in zip(out['series']['members'], self.data.members, self.data.scalings):
            m['scaling'], m['tail'] = scaling, self.data.tail(fitted)
        out['series']['intervals'] = None
        return out


def resolve(path):
    """A data path relative to this project when it is one of its files."""
    return str(HERE / path) if (HERE / path).exists() else path


# --- training ----------------------------------------------------------------------------------

class GlobalBatches:
    """kioku's epoch plan of global batches, the same on every process, each taking its share.

    As kioku's text loader: the examples are shuffled (seed + epoch), cut into length buckets of
    16 batches, sorted by length inside each, batched, and the batch order shuffled. Process r of
    P takes examples r, r + P, r + 2P … of every global batch.
    """

    def __init__(self, indices, batch, world, lengths, seed=0):
        self.indices, self.batch, self.lengths, self.seed = indices, batch, lengths, seed
        self.world, self.rank = world.world, world.rank
        self.set_epoch(0)

    def set_epoch(self, epoch):
        g = torch.Generator().manual_seed(self.seed + epoch)
        order = [self.indices[i] for i in torch.randperm(len(self.indices), generator=g).tolist()]
        span, batches = 16 * self.batch, []
        for s in range(0, len(order), span):
            bucket = sorted(order[s:s + span], key=lambda i: self.lengths[i])
            batches += [bucket[k:k + self.batch] for k in range(0, len(bucket), self.batch)]
        self.batches = [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]

    def __iter__(self):
        """(this process's share, the global batch) per step; a share may be empty."""
        return iter([(b[self.rank::self.world], b) for b in self.batches])

    def __len__(self):
        return len(self.batches)


def evaluate(model, task, split, world):
    """The split's measures: every example exactly once over all processes, in batches of 256."""
    model.eval()
    mine, sums = task.splits[split][world.rank::world.world], None
    with torch.no_grad():
        for k in range(0, len(mine), 256):
            batch = task.batch(split, mine[k:k + 256])
            out, target = task.step(model, batch, world.device)
            values = task.measures(split, out, target, batch)
            sums = values if sums is None else [a + b for a, b in zip(sums, values)]
    return task.summary(world.sum(sums or [0.0] * task.measure_width))


def train_epoch(model, task, plan, optimizer, world):
    """One epoch; each step's gradient is the mean over the whole global batch, however it is shared out."""
    model.train()
    total = 0.0
    for share, batch in plan:
        optimizer.zero_grad()
        # A process without a share of a small last batch still joins the gradient average
        # (DistributedDataParallel needs every process's forward and backward), with weight 0.
        out, target = task.step(model, task.batch('train', share or batch[:1]), world.device)
        # The processes' gradients are averaged, hence the factor world: the step follows the
        # mean loss over the global batch, however it is shared out.
        weight = world.world / (len(batch) * target[0].numel()) if share else 0.0
        loss = task.loss(out, target) * weight
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), task.clip)
        optimizer.step()
        total += loss.item() / world.world
    return world.sum([total])[0] / max(len(plan), 1)


def fit(args, task, config, world):
    torch.manual_seed(args.seed)
    model = task.adapt(build_model())
    if args.init:
        model.load_state_dict(read_safetensors(HERE / 'model.safetensors'), strict=True)
    else:
        task.start(model)
    model.to(world.device)
    ddp = model if world.world == 1 else DistributedDataParallel(
        model, device_ids=[world.device] if world.device.type == 'cuda' else None)
    plan = GlobalBatches(task.splits['train'], args.batch, world, task.lengths, args.seed)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = task.scheduler(optimizer, args)
    # A forecaster keeps its start (the baseline) unless an epoch beats it on validation, as kioku does.
    start = (evaluate(model, task, 'val', world)[task.monitor[4:]], copy.deepcopy(model.state_dict())) \
        if task.from_baseline else None
    best, history, since_best = None, [], 0
    for epoch in range(1, args.epochs + 1):
        logs = run_epoch(ddp, model, task, plan, optimizer, world, (epoch, args.epochs))
        history.append(logs)
        if best is None or logs[task.monitor] < best[1]:
            best, since_best = (epoch, logs[task.monitor], copy.deepcopy(model.state_dict())), 0
        else:
            since_best += 1
        if isinstance(schedule, torch.optim.lr_scheduler.ReduceLROnPlateau):
            schedule.step(logs[task.monitor])
        elif schedule is not None:
            schedule.step()
        if world.main:
            save_model_dir(Path(args.out) / 'checkpoints' / f'epoch-{epoch:04d}',
                           trained_config(task, config, args, world, epoch), model.state_dict())
        if task.patience is not None and since_best > task.patience:
            world.log(f'Stopped early: no better {task.monitor} for {since_best} epochs')
            break
    if start is not None and start[0] <= best[1]:
        world.log(f'No epoch beat the starting point (the baseline) on validation: {task.monitor} {start[0]:.4f}')
        best = (0, start[0], start[1])
    model.load_state_dict(best[2])
    return model, best[0], history


def run_epoch(ddp, model, task, plan, optimizer, world, epochs):
    """One epoch of training and the validation measures, logged."""
    started, (epoch, total) = time.time(), epochs
    plan.set_epoch(epoch - 1)
    loss = train_epoch(ddp, task, plan, optimizer, world)
    val = evaluate(model, task, 'val', world)
    logs = {'epoch': epoch, 'loss': loss, **{f'val_{k}': v for k, v in val.items()},
            'seconds': round(time.time() - started, 1)}
    world.log(f'Epoch {epoch}/{total}, Loss: {logs["loss"]:.4f}, ' +
              ', '.join(f'{k}: {v:.4f}' for k, v in logs.items() if k.startswith('val_')) +
              f' ({logs["seconds"]} s)')
    return logs


def trained_config(task, config, args, world, best_epoch):
    out = task.config(config)
    out['data'] = args.data
    if 'series' in out:
        out['series']['source'] = args.data
    out['training'] = {'epochs': args.epochs, 'bestEpoch': best_epoch, 'seed': args.seed, 'lr': args.lr,
                       'batch': args.batch, 'engine': f'pytorch {torch.__version__}', 'processes': world.world,
                       'backend': world.backend}
    if args.weight_decay:
        out['training']['weightDecay'] = args.weight_decay
    if args.label_smoothing:
        out['training']['labelSmoothing'] = args.label_smoothing
    return out


def main():
    settings = json.loads((HERE / 'project.json').read_text())
    config = json.loads((HERE / 'config.json').read_text())
    args = parse_args(settings)
    world = Dist(args.device)
    world.log(f'{world.world} process(es), backend {world.backend}, device {world.device.type}')
    try:
        task = (SeriesTask if settings['task'] == 'forecasting' else TextTask)(args, config, settings, world)
    except (data.DataError, OSError, ValueError) as e:
        raise SystemExit(f'train.py: {e}') from None
    model, best_epoch, history = fit(args, task, config, world)
    test = evaluate(model, task, 'test', world) if 'test' in task.splits else {}
    world.log(json.dumps({'event': 'test', 'bestEpoch': best_epoch, **test}))
    if world.main:
        out = Path(args.out)
        save_model_dir(out / 'model', trained_config(task, config, args, world, best_epoch), model.state_dict())
        (out / 'metrics.json').write_text(json.dumps({'history': history, 'test': test}, indent=2) + '\n')
        print(f'Model saved to {out / "model"} (open it with: kioku info --model {out / "model"})', flush=True)
    world.close()


if __name__ == '__main__':
    main()
`;
