import type { TextExample } from '../../data/dataloader.js';
import type { Dataset } from '../../data/dataset.js';
import type { Truncation } from '../../data/vocab.js';
import { Generator } from '../../tensor/random.js';

/**
 * Training texts read through a fresh random window each time one is fetched: a text longer
 * than `maxLen` gives `maxLen` of its tokens, where `truncation` would keep the same number —
 * 'head' and 'tail': one random run; 'headTail': its first quarter (as evaluation reads it), then
 * a random run of the rest in place of its end. Shorter texts are read whole. Seeded, so a run
 * repeats; resuming from a checkpoint draws new windows.
 */
export class RandomWindows implements Dataset<TextExample> {
  private readonly generator: Generator;

  constructor(
    private readonly items: readonly TextExample[],
    private readonly maxLen: number,
    private readonly truncation: Truncation,
    seed: number,
  ) {
    this.generator = new Generator(seed);
  }

  get length(): number {
    return this.items.length;
  }

  get(index: number): TextExample {
    const item = this.items[index]!;
    const n = item.tokens.length;
    if (n <= this.maxLen) return item;
    const tokens = Int32Array.from(item.tokens);
    const head = this.truncation === 'headTail' ? Math.floor(this.maxLen / 4) : 0;
    const run = this.maxLen - head;
    const start = head + this.generator.randint(n - head - run + 1);
    const out = new Int32Array(this.maxLen);
    out.set(tokens.subarray(0, head));
    out.set(tokens.subarray(start, start + run), head);
    return { tokens: out, label: item.label };
  }
}
