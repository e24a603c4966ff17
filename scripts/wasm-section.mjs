// Appends a custom section to a WebAssembly module: node scripts/wasm-section.mjs IN NAME TEXT OUT.
// scripts/build-wasm.sh records the source hash this way.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, name, text, output] = process.argv.slice(2);
if (!output) throw new Error('usage: wasm-section.mjs IN NAME TEXT OUT');

/** Unsigned LEB128, the encoding of every length in a module. */
function leb(n) {
  const bytes = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    bytes.push(b);
  } while (n !== 0);
  return bytes;
}

const enc = new TextEncoder();
const body = [...leb(name.length), ...enc.encode(name), ...enc.encode(text)];
const section = Uint8Array.from([0, ...leb(body.length), ...body]);
const module = readFileSync(input);
writeFileSync(output, Buffer.concat([module, section]));
