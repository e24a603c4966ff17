import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { keepLastCheckpoints, listCheckpoints, writeFileAtomic } from '../io/atomic-node.js';
import { saveModelDir } from '../io/model-dir-node.js';
import type { SaveModelDirOptions } from '../io/model-format.js';
import { svgToPng } from '../plot/png.js';
import { ValueError } from '../tensor/errors.js';
import type { CheckpointStore, RunStore } from './recipes/store.js';

/**
 * A recipe's store on disk (Node): files and model directories in one output directory, each
 * written atomically; charts as SVG and PNG; checkpoints in `<out>/checkpoints/checkpoint-<step>`.
 */

/** Rolling checkpoints `<root>/checkpoint-<step>`, the newest `keep` kept. */
export function nodeCheckpointStore(root: string, keep = 2): CheckpointStore {
  if (typeof root !== 'string' || root === '') {
    throw new ValueError(`nodeCheckpointStore: root must be a non-empty path, got ${String(root)}`);
  }
  if (!Number.isSafeInteger(keep) || keep < 1) {
    throw new ValueError(`nodeCheckpointStore: keep must be a positive integer, got ${String(keep)}`);
  }
  return {
    async save(step: number, files: SaveModelDirOptions) {
      await saveModelDir(join(root, `checkpoint-${step}`), files);
      await keepLastCheckpoints(root, keep);
    },
    async list() {
      return (await listCheckpoints(root)).map((where) => ({
        step: Number(where.slice(where.lastIndexOf('-') + 1)),
        where,
      }));
    },
  };
}

export interface NodeRunStoreOptions {
  /** Checkpoints kept in `<out>/checkpoints`. Default 2. */
  keepCheckpoints?: number;
  /** Checkpoint the run. Default true. */
  checkpoints?: boolean;
  /** Render charts to PNG beside the SVG. Default true. */
  png?: boolean;
}

/** A store writing into the directory `out` (created when first written). */
export function nodeRunStore(out: string, options: NodeRunStoreOptions = {}): RunStore {
  if (typeof out !== 'string' || out === '') {
    throw new ValueError(`nodeRunStore: out must be a non-empty path, got ${String(out)}`);
  }
  const file = async (name: string, data: string | Uint8Array): Promise<string> => {
    await mkdir(out, { recursive: true });
    const path = join(out, name);
    await writeFileAtomic(path, data);
    return path;
  };
  return {
    writeFile: file,
    async writeModel(name: string, files: SaveModelDirOptions) {
      const dir = join(out, name);
      await saveModelDir(dir, files);
      return dir;
    },
    async writeChart(name: string, svg: string) {
      const svgPath = await file(`${name}.svg`, svg);
      if (options.png === false) return [svgPath];
      return [svgPath, await file(`${name}.png`, svgToPng(svg))];
    },
    ...(options.checkpoints === false
      ? {}
      : { checkpoints: nodeCheckpointStore(join(out, 'checkpoints'), options.keepCheckpoints ?? 2) }),
  };
}
