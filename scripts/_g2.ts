import { kernelFor } from '../src/backend/registry.js';
import { loadWasmSync } from '../src/backend/wasm/load-node.js';
import { wasmBackend } from '../src/backend/wasm/index.js';
import { nativeBackend } from '../src/backend/native/index.js';
import { medianMs } from '../bench/stats.js';
loadWasmSync(); nativeBackend().addon!.init(1);
const shapes = [[6400,128,256],[512,512,512]] as const;
for (const [m,k,n] of shapes) {
  const a = Float32Array.from({length: m*k}, (_, i) => Math.sin(i)), b = Float32Array.from({length: k*n}, (_, i) => Math.cos(i)), c = new Float32Array(m*n);
  const inst = wasmBackend()!.instance;
  kernelFor('gemm','wasm')!(false,false,m,n,k,a,0,k,b,0,n,c,0,n,false);
  const base = inst.arenaFor(0);
  const gn = kernelFor('gemm','native')!;
  const ratios: number[] = []; let wbest = 0, nbest = 0;
  for (let r = 0; r < 9; r++) {
    const wm = medianMs(() => inst.run('gemm', base), 5, r === 0 ? 20 : 1);
    const nm = medianMs(() => gn(false,false,m,n,k,a,0,k,b,0,n,c,0,n,false), 5, 1);
    ratios.push(nm / wm); wbest = Math.max(wbest, 2*m*n*k/wm/1e6); nbest = Math.max(nbest, 2*m*n*k/nm/1e6);
  }
  ratios.sort((x, y) => x - y);
  console.log(`${m}x${k}x${n}: wasm/native speed ${ratios[4]!.toFixed(3)}; best wasm ${wbest.toFixed(1)} native ${nbest.toFixed(1)} GFLOP/s`);
}
