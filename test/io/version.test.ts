import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KIOKU_VERSION, kiokuVersion } from '../../src/io/version.js';

describe('kiokuVersion', () => {
  it("is package.json's version (bump both together)", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(KIOKU_VERSION).toBe(pkg.version);
    expect(kiokuVersion()).toBe(pkg.version);
  });
});
