/*
 * BENCHMARKS.md is written by several commands. `npm run bench` writes the whole file; the
 * others (`npm run bench:serve`, …) own a section between `<!-- bench:NAME begin -->` and
 * `<!-- bench:NAME end -->` markers, which every writer keeps.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const SECTION = /<!-- bench:([\w-]+) begin -->[\s\S]*?<!-- bench:\1 end -->/g;

function readOrEmpty(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Writes `body` as the whole file, followed by the marked sections the old file had. */
export function writeKeepingSections(file: string, body: string): void {
  const kept = readOrEmpty(file).match(SECTION) ?? [];
  writeFileSync(file, `${[body.trimEnd(), ...kept].join('\n\n')}\n`);
}

/** Replaces section `name` of the file (or appends it), leaving the rest as it is. */
export function writeSection(file: string, name: string, lines: string[]): void {
  const begin = `<!-- bench:${name} begin -->`;
  const end = `<!-- bench:${name} end -->`;
  const old = readOrEmpty(file);
  const section = [begin, ...lines, end].join('\n');
  const at = old.indexOf(begin);
  const stop = old.indexOf(end);
  const next =
    at >= 0 && stop > at
      ? old.slice(0, at) + section + old.slice(stop + end.length)
      : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}
