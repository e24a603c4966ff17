import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Everything under `root`, without following links: each path (relative to `root`) with its kind
 * and content — a file's SHA-256, a link's target. Two equal snapshots mean nothing was created,
 * deleted, moved or changed.
 */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    const path = join(root, rel);
    const st = await lstat(path);
    if (st.isSymbolicLink()) out[rel] = `link → ${await readlink(path)}`;
    else if (st.isFile())
      out[rel] = `file ${createHash('sha256')
        .update(await readFile(path))
        .digest('hex')}`;
    else if (st.isDirectory()) {
      out[rel] = 'dir';
      for (const name of (await readdir(path)).sort()) await walk(rel ? join(rel, name) : name);
    } else out[rel] = 'other';
  };
  await walk('');
  return out;
}
