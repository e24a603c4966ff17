/**
 * JSON parsing that rejects what `JSON.parse` lets through silently: duplicate keys (it keeps
 * the last one, so two readers of the same file could disagree about its content).
 */

/** A duplicate key: the key and the key of the object holding it (null at the top level). */
export interface DuplicateKey {
  key: string;
  parent: string | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Finds the first key repeated inside one object of `text`, which must already be valid JSON.
 * Iterative (an explicit stack), so deep nesting cannot overflow the call stack.
 */
export function findDuplicateKey(text: string): DuplicateKey | null {
  // One frame per open container: the keys seen so far (null for arrays) and the key naming it.
  const stack: Array<{ keys: Set<string> | null; name: string | null }> = [];
  let expectKey = false;
  let lastKey: string | null = null;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          escaped = true;
          j += 2;
        } else j++;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) return { key, parent: top.name };
        top.keys.add(key);
        lastKey = key;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      stack.push({
        keys: c === 0x7b ? new Set() : null,
        name: parent?.keys ? lastKey : (parent?.name ?? null),
      });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1]?.keys != null;
    }
    i++;
  }
  return null;
}

/**
 * `JSON.parse` plus duplicate-key rejection. Failures go through `fail(message)` so each loader
 * throws its own typed error.
 */
export function parseJsonStrict(text: string, fail: (message: string) => Error): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw fail(`not valid JSON (${(e as Error).message})`);
  }
  const dup = findDuplicateKey(text);
  if (dup) {
    throw fail(
      dup.parent === null
        ? `duplicate key "${dup.key}" at the top level`
        : `duplicate key "${dup.key}" inside "${dup.parent}"`,
    );
  }
  return value;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `JSON.stringify` that refuses values it would silently change: NaN and ±Infinity (written as
 * null), undefined and functions (dropped), bigints (throws a TypeError). `what` names the value.
 */
export function stringifyJsonStrict(value: unknown, what: string, fail: (message: string) => Error): string {
  const open = new Set<object>();
  const check = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw fail(`${what}: ${path} is ${v}, which JSON cannot hold`);
      return;
    }
    if (typeof v === 'object') {
      if (open.has(v)) throw fail(`${what}: ${path} refers back to itself`);
      open.add(v);
      if (Array.isArray(v)) {
        for (let k = 0; k < v.length; k++) check(v[k], `${path}[${k}]`);
      } else for (const [k, x] of Object.entries(v)) check(x, `${path}.${k}`);
      open.delete(v);
      return;
    }
    throw fail(`${what}: ${path} is a ${typeof v}, which JSON cannot hold`);
  };
  check(value, '$');
  return JSON.stringify(value, null, 2);
}
