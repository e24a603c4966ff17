"""PyTorch side of kioku's benchmark: the same workloads as bench/index.ts, printed as JSON.

Run by bench/index.ts once per thread setting (OPENBLAS_NUM_THREADS is read at import, so each
setting is a separate process):  /usr/bin/python3 bench/torch_bench.py --threads 2 --reps 7
--sweep takes the sweep rows as JSON ([{"cell", "hidden", "batch", "steps", "reps", "warmup"}]);
--memory N instead runs only N training steps of the seed workload in this fresh process and prints
VmRSS after setup and VmHWM after the steps (KiB, from /proc/self/status); --serve answers requests
on stdin (see serve).
"""

import argparse
import json
import statistics
import sys
import time

import torch


def median_ms(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise ValueError(f"{key} not found in /proc/self/status")


class LSTMClassifier(torch.nn.Module):
    """The seed's model: Embedding(V, 128) -> LSTM(128, 64, batch_first) -> Linear(64, 2) on h_n[-1]."""

    def __init__(self, vocab, embed, hidden, classes):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, embed)
        self.lstm = torch.nn.LSTM(embed, hidden, batch_first=True)
        self.fc = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        _, (h, _) = self.lstm(self.embedding(x))
        return self.fc(h[-1])


def seed_workload():
    """vocab 5000, embed 128, hidden 64, batch 32, T 200; Adam(1e-3) with cross-entropy."""
    vocab, batch, steps = 5000, 32, 200
    model = LSTMClassifier(vocab, 128, 64, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randint(1, vocab, (batch, steps))
    y = torch.randint(0, 2, (batch,))

    def train_step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def infer():
        with torch.no_grad():
            model(x)

    return train_step, infer


def sweep_workload(cell, hidden, batch, steps):
    """cell(H -> H) on random (T, B, H) features -> Linear(H, 2) on the last step's output, Adam."""
    rnn = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}[cell](hidden, hidden)
    head = torch.nn.Linear(hidden, 2)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randn(steps, batch, hidden)
    y = torch.randint(0, 2, (batch,))

    def forward():
        out, _ = rnn(x)
        return head(out[-1])

    def train_step():
        opt.zero_grad()
        loss_fn(forward(), y).backward()
        opt.step()

    def infer():
        with torch.no_grad():
            forward()

    return train_step, infer


def stream_workload(inputs, hidden, vocab=0):
    """One batch-1 step of LSTM(inputs, hidden) carrying its state, without autograd; with vocab,
    on a random token id's row of Embedding(vocab, inputs), as kioku's stepTokens."""
    cell = torch.nn.LSTM(inputs, hidden)
    xs = torch.randn(1, 1, inputs)
    state = [(torch.zeros(1, 1, hidden), torch.zeros(1, 1, hidden))]
    embedding = torch.nn.Embedding(vocab, inputs) if vocab else None
    ids = torch.randint(0, max(vocab, 1), (4096, 1, 1))
    turn = [0]

    def stream_step():
        with torch.no_grad():
            x = xs
            if embedding is not None:
                x = embedding(ids[turn[0] & 4095])
                turn[0] += 1
            _, state[0] = cell(x, state[0])

    return stream_step


def serve():
    """--serve: one JSON request per stdin line, one JSON answer per stdout line, so that a caller
    can interleave its own measurements with PyTorch's (bench/small.ts). Requests:
    {"seed": true} | {"cell", "hidden", "batch", "steps"} (both with "reps", "warmup"): train_ms and
    infer_ms; {"stream": [inputs, hidden], "calls": n, "vocab"?: v}: stream_us, the median of 5
    batches of n calls (with vocab, each step on a token id's embedding row)."""
    cache = {}
    for line in sys.stdin:
        req = json.loads(line)
        if "stream" in req:
            key = ("stream", *req["stream"], req.get("vocab", 0))
            if key not in cache:
                cache[key] = stream_workload(*key[1:])
            step, calls = cache[key], req["calls"]
            for _ in range(calls):
                step()
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(calls):
                    step()
                times.append((time.perf_counter() - t0) / calls * 1e6)
            print(json.dumps({"stream_us": statistics.median(times)}), flush=True)
            continue
        if req.get("seed"):
            key = ("seed",)
            make = seed_workload
        else:
            key = (req["cell"], req["hidden"], req["batch"], req["steps"])
            make = lambda: sweep_workload(*key)  # noqa: E731
        if key not in cache:
            cache[key] = make()
        train_step, infer = cache[key]
        answer = {
            "train_ms": median_ms(train_step, req["reps"], req["warmup"]),
            "infer_ms": median_ms(infer, req["reps"], req["warmup"]),
        }
        print(json.dumps(answer), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--sweep", default="[]")
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    if args.serve:
        serve()
        return

    if args.memory > 0:
        train_step, _ = seed_workload()
        baseline = status_kib("VmRSS")
        for _ in range(args.memory):
            train_step()
        print(json.dumps({"baseline_kib": baseline, "hwm_kib": status_kib("VmHWM")}))
        return

    results = {"torch": torch.__version__, "threads": args.threads, "gemm": {}, "seed": {}, "sweep": {}}

    for m, k, n in [(6400, 128, 256), (32, 64, 256), (512, 512, 512)]:
        a = torch.rand(m, k)
        b = torch.rand(k, n)
        reps = max(args.reps, int(2e9 / (2 * m * n * k)))
        results["gemm"][f"{m}x{k}x{n}"] = median_ms(lambda: torch.mm(a, b), reps)

    train_step, infer = seed_workload()
    results["seed"]["train_ms"] = median_ms(train_step, args.reps)
    results["seed"]["infer_ms"] = median_ms(infer, args.reps)

    # Large shapes: LSTM(512, 512) on T=50, B=128, forward + backward of sum(output).
    lstm = torch.nn.LSTM(512, 512)
    xl = torch.randn(50, 128, 512)

    def large_step():
        lstm.zero_grad()
        out, _ = lstm(xl)
        out.sum().backward()

    results["large_train_ms"] = median_ms(large_step, 3, warmup=1)

    # Batch-1 streaming inference: one step of LSTM(128, 64) carrying its state.
    cell = torch.nn.LSTM(128, 64)
    xs = torch.randn(1, 1, 128)
    state = [(torch.zeros(1, 1, 64), torch.zeros(1, 1, 64))]

    def stream_step():
        with torch.no_grad():
            _, state[0] = cell(xs, state[0])

    for _ in range(200):
        stream_step()
    t0 = time.perf_counter()
    for _ in range(2000):
        stream_step()
    results["stream_us"] = (time.perf_counter() - t0) / 2000 * 1e6

    for c in json.loads(args.sweep):
        train_step, infer = sweep_workload(c["cell"], c["hidden"], c["batch"], c["steps"])
        results["sweep"][f'{c["cell"]}-{c["hidden"]}-{c["batch"]}-{c["steps"]}'] = {
            "train_ms": median_ms(train_step, c["reps"], c["warmup"]),
            "infer_ms": median_ms(infer, c["reps"], c["warmup"]),
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
