/**
 * Child process for the crash tests: rewrites a safetensors file or a model directory in a loop,
 * version after version, printing each finished version, until it is killed. With a fourth
 * argument n it kills itself with SIGKILL just before its n-th file-system operation (open,
 * mkdir, link, copyFile, rename, rm or unlink), a crash at an exact point of a save.
 * Usage: node --import tsx test/io/crash-writer.ts file|dir <path> <first version> [n]
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { writeFileAtomic } from '../../src/io/atomic-node.js';
import { saveModelDir } from '../../src/io/model-dir-node.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { versionOptions, versionTensors } from './crash-versions.js';

const [mode, path, first, killAt] = process.argv.slice(2) as [string, string, string, string | undefined];

/** Wraps node:fs/promises so that its n-th mutating call kills the process first. */
function killBeforeOperation(n: number): void {
  const fsp = createRequire(import.meta.url)('node:fs/promises') as Record<string, unknown>;
  let count = 0;
  for (const name of ['open', 'mkdir', 'link', 'copyFile', 'rename', 'rm', 'unlink']) {
    const original = fsp[name] as (...args: unknown[]) => unknown;
    fsp[name] = (...args: unknown[]) => {
      if (++count === n) process.kill(process.pid, 'SIGKILL');
      return original(...args);
    };
  }
  // Updates the live bindings of `import { rename } from 'node:fs/promises'` in kioku's modules.
  syncBuiltinESMExports();
}

if (killAt !== undefined) killBeforeOperation(Number(killAt));
for (let k = Number(first); ; k++) {
  if (mode === 'file') {
    await writeFileAtomic(path, serializeSafetensors(versionTensors(k), { version: String(k) }));
  } else {
    await saveModelDir(path, versionOptions(k));
  }
  process.stdout.write(`${k}\n`);
}
