import { readFileSync } from 'node:fs';
import { KiokuError } from '../tensor/errors.js';

let cached: string | null = null;

/**
 * kioku's version, read once from package.json (two levels up from both src/io/ and dist/io/),
 * so saved models record the version that wrote them without a second copy of the number.
 */
export function kiokuVersion(): string {
  if (cached === null) {
    const url = new URL('../../package.json', import.meta.url);
    let version: unknown;
    try {
      version = (JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown }).version;
    } catch (e) {
      throw new KiokuError(`kiokuVersion: cannot read ${url.pathname} (${(e as Error).message})`);
    }
    if (typeof version !== 'string' || version === '') {
      throw new KiokuError(`kiokuVersion: ${url.pathname} has no "version" string`);
    }
    cached = version;
  }
  return cached;
}
