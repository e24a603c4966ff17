import secureJson from 'secure-json-parse';
import { describe, expect, it } from 'vitest';
import { RequestError } from '../../src/serve/errors.js';
import { forbiddenKey, parseJsonBody } from '../../src/serve/json-body.js';

/**
 * The server's JSON body parser: what JSON.parse reads, except the keys that could poison a
 * prototype, refused as Fastify's parser (secure-json-parse) refuses them, with the key's path.
 */

/** The RequestError parsing `body` throws, as { field, message }. */
function refusal(body: string): { field: string; message: string } {
  try {
    parseJsonBody(body);
  } catch (e) {
    expect(e).toBeInstanceOf(RequestError);
    return { field: (e as RequestError).field, message: (e as RequestError).message };
  }
  throw new Error(`parseJsonBody accepted ${body}`);
}

const ATTACKS: Array<[body: string, field: string]> = [
  ['{"__proto__": {"isAdmin": true}}', '__proto__'],
  ['{"instances": ["a"], "__proto__": {"polluted": 1}}', '__proto__'],
  ['{"history": [[1, 2], {"__proto__": {"x": 1}}]}', 'history[1].__proto__'],
  ['{"inputs": [{"name": "text", "parameters": {"__proto__": {}}}]}', 'inputs[0].parameters.__proto__'],
  ['{"\\u005f_proto__": {"x": 1}}', '__proto__'],
  ['{"\\u005F\\u005Fproto\\u005f\\u005f": {"x": 1}}', '__proto__'],
  ['{"constructor": {"prototype": {"x": 1}}}', 'constructor'],
  ['{"a": {"b": {"constructor": {"prototype": null}}}}', 'a.b.constructor'],
  ['{"\\u0063onstructor": {"prototype": {}}}', 'constructor'],
  ['[{"__proto__": 1}]', '[0].__proto__'],
];

const HARMLESS = [
  '{"instances": ["a text about __proto__ and the constructor"]}',
  '{"constructor": "a string"}',
  '{"constructor": {"name": "no prototype here"}}',
  '{"instances": ["caf\\u00e9 \\"quoted\\" \\n"]}',
  '{"history": [[1.5, 2], [3, 4e-3]], "dates": ["2015-01-01", "2015-01-02"], "steps": 7}',
  '{"proto": 1, "__proto": 2, "proto__": 3}',
];

describe('parseJsonBody', () => {
  it('reads every other body as JSON.parse does', () => {
    for (const body of HARMLESS) expect(parseJsonBody(body)).toEqual(JSON.parse(body));
    expect(parseJsonBody('\ufeff{"instances": ["a"]}')).toEqual({ instances: ['a'] });
  });

  it('refuses each prototype-poisoning key, naming its path', () => {
    for (const [body, field] of ATTACKS) {
      const r = refusal(body);
      expect({ body, field: r.field }).toEqual({ body, field });
      expect(r.message).toMatch(/key is refused \(it could poison an object's prototype\)$/);
    }
  });

  it('refuses and accepts exactly what secure-json-parse refuses and accepts', () => {
    const options = { protoAction: 'error', constructorAction: 'error' } as const;
    const refusedByIt = (body: string) => {
      try {
        secureJson.parse(body, options);
        return false;
      } catch {
        return true;
      }
    };
    for (const [body] of ATTACKS)
      expect({ body, refused: refusedByIt(body) }).toEqual({ body, refused: true });
    for (const body of HARMLESS)
      expect({ body, refused: refusedByIt(body) }).toEqual({ body, refused: false });
  });

  it('leaves no polluted prototype behind', () => {
    for (const [body] of ATTACKS) expect(() => parseJsonBody(body)).toThrow(RequestError);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the body when it is empty or not JSON', () => {
    expect(refusal('')).toEqual({ field: 'body', message: 'the body is empty; send a JSON object' });
    expect(refusal('  \n')).toMatchObject({ field: 'body' });
    const broken = refusal('{"instances": [');
    expect(broken.field).toBe('body');
    expect(broken.message).toMatch(/^the body is not valid JSON: /);
  });

  it('finds a forbidden key anywhere in a parsed value, or none', () => {
    expect(forbiddenKey(JSON.parse('{"a": [0, [1, {"b": {"__proto__": 2}}]]}'))).toBe('a[1][1].b.__proto__');
    expect(forbiddenKey(JSON.parse('{"a": [0, [1, {"b": {"proto": 2}}]]}'))).toBeNull();
    expect(forbiddenKey(7)).toBeNull();
  });
});
