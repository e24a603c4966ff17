import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * Every ```ts block of README.md is type-checked against the library, and run unless marked.
 * A block may be preceded by an HTML comment that readers do not see:
 *
 *   <!-- readme-test: setup                      code run before the block (its own imports may
 *   const x = randn([2, 3]);                      not clash with the block's), for the names the
 *   -->                                           prose leaves to the reader
 *
 *   <!-- readme-test: no-run (reads reviews.csv) -->   type-checked only; the reason is required
 *
 * Both may be combined ("readme-test: no-run (why) setup", then code). `from 'kioku'` resolves to
 * src/node.ts, as an installed package resolves it in Node.
 */

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'node_modules', '.cache', 'kioku-readme');
const ENTRY = join(ROOT, 'src', 'node.ts');

interface Block {
  line: number;
  code: string;
  setup: string;
  run: boolean;
}

function readmeBlocks(): Block[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks: Block[] = [];
  for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const before = text.slice(0, m.index).trimEnd();
    const comment = before.endsWith('-->') ? before.slice(before.lastIndexOf('<!--')) : '';
    const directive = /^<!-- readme-test: (no-run \([^)]+\))? ?(setup\n([\s\S]*))?-->$/.exec(comment);
    blocks.push({
      line: text.slice(0, m.index).split('\n').length,
      code: m[1]!,
      setup: directive?.[3] ?? '',
      run: !directive?.[1],
    });
  }
  return blocks;
}

/** The block as a module file, with 'kioku' pointing at the source entry. */
function writeModule(block: Block): string {
  const file = join(OUT, `readme-line-${block.line}.ts`);
  const entry = relative(dirname(file), ENTRY).replace(/\.ts$/, '.js');
  const source = `${block.setup}\n${block.code}\nexport {};\n`.replaceAll(`from 'kioku'`, `from '${entry}'`);
  writeFileSync(file, source);
  return file;
}

/** tsc's diagnostics for `files`, with the repository's compiler options. */
function typeErrors(files: string[]): string[] {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const program = ts.createProgram(files, { ...options, noEmit: true });
  return files.flatMap((f) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).map((d) => {
      const where = d.file?.getLineAndCharacterOfPosition(d.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      return `${relative(ROOT, d.file?.fileName ?? f)}:${(where?.line ?? 0) + 1}: ${message}`;
    }),
  );
}

const blocks = readmeBlocks();
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const files = blocks.map(writeModule);

describe('README.md code blocks', () => {
  it('has ts blocks, each either runnable or marked with the reason it is not', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
  });

  it('all type-check against the library', () => {
    expect(typeErrors(files)).toEqual([]);
  }, 120_000);

  for (const [i, block] of blocks.entries()) {
    if (!block.run) continue;
    it(`the block at README.md line ${block.line} runs`, async () => {
      await import(pathToFileURL(files[i]!).href);
    }, 60_000);
  }
});
