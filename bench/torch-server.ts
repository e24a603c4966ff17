/*
 * A PyTorch process answering benchmark requests one at a time (bench/torch_bench.py --serve), so
 * that a benchmark can interleave its own measurements with PyTorch's: each comparison then sees
 * the same load from other processes. One server per thread count (OPENBLAS_NUM_THREADS is read
 * when torch loads).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

export type TorchRequest =
  | { seed: true; reps: number; warmup: number }
  | { cell: string; hidden: number; batch: number; steps: number; reps: number; warmup: number }
  | { stream: [number, number]; calls: number; vocab?: number };

export interface TorchAnswer {
  train_ms?: number;
  infer_ms?: number;
  stream_us?: number;
}

export class TorchServer {
  readonly threads: number;
  readonly version: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private readonly reader: Interface;

  private constructor(
    threads: number,
    version: string,
    child: ChildProcessWithoutNullStreams,
    reader: Interface,
  ) {
    this.threads = threads;
    this.version = version;
    this.child = child;
    this.reader = reader;
    this.lines = reader[Symbol.asyncIterator]();
  }

  /** A server with `threads` threads, or null when Debian's python3-torch is not installed. */
  static async start(threads: number): Promise<TorchServer | null> {
    if (!existsSync(PYTHON)) return null;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OPENBLAS_NUM_THREADS: String(threads),
      OMP_NUM_THREADS: String(threads),
    };
    // They pin an older OpenBLAS kernel on this kind of machine (bench/torch.ts does the same).
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const code = 'import sys, torch; print(torch.__version__)';
    const version = await new Promise<string | null>((resolve) => {
      const probe = spawn(PYTHON, ['-c', code], { env });
      let out = '';
      probe.stdout.on('data', (d) => {
        out += String(d);
      });
      probe.on('error', () => resolve(null));
      probe.on('close', (status) => resolve(status === 0 ? out.trim() : null));
    });
    if (version === null) return null;
    const child = spawn(PYTHON, [SCRIPT, '--serve', '--threads', String(threads)], { env });
    return new TorchServer(threads, version, child, createInterface({ input: child.stdout }));
  }

  async request(req: TorchRequest): Promise<TorchAnswer> {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const line = await this.lines.next();
    if (line.done) throw new Error(`bench: the PyTorch server (${this.threads} thread(s)) stopped`);
    return JSON.parse(line.value) as TorchAnswer;
  }

  close(): void {
    this.reader.close();
    this.child.stdin.end();
  }
}
