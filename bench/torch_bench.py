"""PyTorch side of kioku's benchmark: the same workloads as bench/index.ts, printed as JSON.

Run by bench/index.ts once per thread setting (OPENBLAS_NUM_THREADS is read at import, so each
setting is a separate process):  /usr/bin/python3 bench/torch_bench.py --threads 2 --reps 7
"""

import argparse
import json
import statistics
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = {"torch": torch.__version__, "threads": args.threads, "gemm": {}, "seed": {}}

    for m, k, n in [(6400, 128, 256), (32, 64, 256), (512, 512, 512)]:
        a = torch.rand(m, k)
        b = torch.rand(k, n)
        reps = max(args.reps, int(2e9 / (2 * m * n * k)))
        results["gemm"][f"{m}x{k}x{n}"] = median_ms(lambda: torch.mm(a, b), reps)

    vocab, embed, hidden, batch, steps = 5000, 128, 64, 32, 200
    model = LSTMClassifier(vocab, embed, hidden, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randint(1, vocab, (batch, steps))
    y = torch.randint(0, 2, (batch,))

    def train_step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def infer():
        with torch.no_grad():
            model(x)

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
    print(json.dumps(results))


if __name__ == "__main__":
    main()
