import { RequestError } from './errors.js';

/**
 * Request bodies read as JSON, refusing prototype poisoning: a `__proto__` key, or a
 * `constructor` key holding an object with a `prototype` (what Fastify's own parser,
 * secure-json-parse, refuses). Its cost per request is JSON.parse alone for nearly every body: a
 * body whose text spells neither word and has no `\u` escape (the only escape that could spell
 * one) cannot hold such a key; any other body is parsed and then walked for the keys.
 */

const FORBIDDEN = ['__proto__', 'constructor', '\\u'];

/** Whether a key of `text` could be a forbidden one (false positives cost a walk, nothing else). */
function suspect(text: string): boolean {
  for (const word of FORBIDDEN) if (text.includes(word)) return true;
  return false;
}

/** `history[3].__proto__` from the path of keys and indices to a value. */
function pathOf(path: readonly (string | number)[]): string {
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : s === '' ? k : `.${k}`;
  return s;
}

/** The path of the first forbidden key in `value` (JSON.parse's output), or null when there is none. */
export function forbiddenKey(value: unknown): string | null {
  const stack: Array<{ node: unknown; path: (string | number)[] }> = [{ node: value, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        stack.push({ node: v, path: [...path, i] });
      });
      continue;
    }
    if (Object.hasOwn(node, '__proto__')) return pathOf([...path, '__proto__']);
    const ctor = Object.hasOwn(node, 'constructor') ? (node as { constructor: unknown }).constructor : null;
    if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) {
      return pathOf([...path, 'constructor']);
    }
    for (const [k, v] of Object.entries(node)) stack.push({ node: v, path: [...path, k] });
  }
  return null;
}

/** A body's JSON value; a RequestError (400, field `body` or the forbidden key's path) otherwise. */
export function parseJsonBody(body: string): unknown {
  // A byte-order mark is not JSON, but Fastify's parser has always read past one.
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.trim() === '') throw new RequestError('body', 'the body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RequestError('body', `the body is not valid JSON: ${(e as Error).message}`);
  }
  if (!suspect(text)) return value;
  const key = forbiddenKey(value);
  if (key !== null) {
    throw new RequestError(
      key,
      `${key}: a "${key.endsWith('__proto__') ? '__proto__' : 'constructor'}" key is refused (it could poison an object's prototype)`,
    );
  }
  return value;
}
