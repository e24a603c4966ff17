/*
 * Two checkouts of kioku on the same seed workloads, interleaved: `npx tsx bench/ab.ts TREE_A
 * TREE_B [rounds]` runs a fresh process per tree and round, alternating A B A B …, each timing the
 * seed model's native training step and inference (bench/seed.ts: vocab 5000, embed 128, hidden
 * 64, batch 32, 200 tokens) and a batch-1 LSTM(128, 64) streaming step (bench/streaming.ts), and
 * prints the medians over rounds (and their ranges) with A/B ratios. Both trees must hold those two bench files.
 * With a fourth argument `cpu` every time is the process's CPU time rather than wall time: a loaded
 * machine inflates it far less (run one kernel thread, KIOKU_NUM_THREADS=1, or it counts the
 * pool's spinning too).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Times {
  trainMs: number;
  inferMs: number;
  streamUs: number;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Median process CPU time in ms of `fn` over `reps` runs after `warmup` untimed runs. */
function medianCpuMs(fn: () => void, reps: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    times.push((d.user + d.system) / 1000);
  }
  return median(times);
}

/** The child: times one tree's workloads on its native backend and prints them as JSON. */
async function measure(tree: string, cpu: boolean): Promise<Times> {
  const { activateNative } = await import(`${tree}/src/backend/native/index.ts`);
  if (!activateNative()) throw new Error(`bench/ab: ${tree} has no native addon`);
  const { seedWorkload } = await import(`${tree}/bench/seed.ts`);
  const { medianMs } = await import(`${tree}/bench/stats.ts`);
  const { streamingStep } = await import(`${tree}/bench/streaming.ts`);
  const time: (fn: () => void, reps: number, warmup: number) => number = cpu ? medianCpuMs : medianMs;
  const w = seedWorkload();
  const trainMs = time(() => w.trainStep(), 15, 3);
  const inferMs = time(() => w.infer(), 15, 3);
  const streamUs = streamingStep({ batches: 9, perBatch: 2000, cpu }).kernelUs;
  return { trainMs, inferMs, streamUs };
}

function run(tree: string, cpu: boolean): Times {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', tree, ...(cpu ? ['cpu'] : [])],
    {
      cwd: tree,
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Times;
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(process.argv[3]!, process.argv[4] === 'cpu')));
} else {
  const [a, b] = [resolve(process.argv[2] ?? '.'), resolve(process.argv[3] ?? '.')];
  const rounds = Number(process.argv[4] ?? 7);
  const cpu = process.argv[5] === 'cpu';
  const results: [Times[], Times[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    results[0].push(run(a, cpu));
    results[1].push(run(b, cpu));
    process.stderr.write(`round ${r + 1}/${rounds}\n`);
  }
  const range = (v: number[]) => `${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)}`;
  for (const key of ['trainMs', 'inferMs', 'streamUs'] as const) {
    const [va, vb] = results.map((rs) => rs.map((t) => t[key]));
    const [ma, mb] = [median(va!), median(vb!)];
    console.log(
      `${key.padEnd(9)} A ${ma.toFixed(3).padStart(9)} (${range(va!)})  B ${mb.toFixed(3).padStart(9)} (${range(vb!)})  A/B ${(ma / mb).toFixed(3)}`,
    );
  }
}
