/**
 * kioku's version, recorded in every saved model. A constant rather than a read of package.json,
 * so the platform-neutral model format needs no file access; test/io/version.test.ts fails when
 * it and package.json's "version" differ.
 */
export const KIOKU_VERSION = '0.1.0';

/** kioku's version (package.json's "version"). */
export function kiokuVersion(): string {
  return KIOKU_VERSION;
}
