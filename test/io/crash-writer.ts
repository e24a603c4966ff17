/**
 * Child process for the crash tests: rewrites a safetensors file or a model directory in a loop,
 * version after version, printing each finished version, until it is killed.
 * Usage: node --import tsx test/io/crash-writer.ts file|dir <path> <first version>
 */
import { writeFileAtomic } from '../../src/io/atomic-node.js';
import { saveModelDir } from '../../src/io/model-dir-node.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { full } from '../../src/tensor/tensor.js';
import { versionTensors } from './crash-versions.js';

const [mode, path, first] = process.argv.slice(2) as [string, string, string];

for (let k = Number(first); ; k++) {
  if (mode === 'file') {
    await writeFileAtomic(path, serializeSafetensors(versionTensors(k), { version: String(k) }));
  } else {
    await saveModelDir(path, {
      config: { architecture: { type: 'Tiny', version: k }, task: 'classification' },
      stateDict: versionTensors(k),
      trainingState: { state: { version: k }, tensors: { m: full([k % 5], k) } },
    });
  }
  process.stdout.write(`${k}\n`);
}
