import { KiokuError } from '../tensor/errors.js';

/**
 * What the server answers a request it refuses: a 4xx status and a JSON body
 * `{ "error": sentence, "field": where }` (the Open Inference Protocol's error object, plus the
 * field at fault: `instances[2]`, `inputs[0].shape`, `parameters.sequence_id`, `body`).
 */

export interface ErrorBody {
  error: string;
  field: string;
}

/** A request refused: the field at fault, a sentence naming what was expected and what came. */
export class RequestError extends KiokuError {
  override name = 'RequestError';
  readonly field: string;
  readonly status: number;

  constructor(field: string, message: string, status = 400) {
    super(message);
    this.field = field;
    this.status = status;
  }

  body(): ErrorBody {
    return { error: this.message, field: this.field };
  }
}

/** A short rendering of a JSON value for messages. */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

/** An ajv error as Fastify reports it (the fields read here). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** JSON Schema's type names as a sentence says them. */
const JSON_TYPES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

/** `/inputs/0/shape` → `inputs[0].shape`. */
function fieldOf(path: string): string {
  const parts = path.split('/').slice(1);
  return parts.reduce((f, p) => (/^\d+$/.test(p) ? `${f}[${p}]` : f ? `${f}.${p}` : p), '');
}

function valueAt(body: unknown, path: string): unknown {
  let v = body;
  for (const p of path.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

/** The request error for the first schema violation in a body: the field, what it must be, what came. */
export function schemaError(e: SchemaError, body: unknown): RequestError {
  const field = fieldOf(e.instancePath);
  const got = valueAt(body, e.instancePath);
  const at = (key: string) => (field ? `${field}.${key}` : key);
  switch (e.keyword) {
    case 'required': {
      const key = String(e.params.missingProperty);
      return new RequestError(at(key), `${at(key)} is required`);
    }
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      return new RequestError(at(key), `${at(key)} is not a field this endpoint takes`);
    }
    case 'type': {
      const types = String(e.params.type)
        .split(',')
        .map((t) => JSON_TYPES[t] ?? t);
      return new RequestError(
        field || 'body',
        `${field || 'the body'} must be ${types.join(' or ')}, got ${shown(got)}`,
      );
    }
    case 'const':
      return new RequestError(
        field,
        `${field} must be ${JSON.stringify(e.params.allowedValue)}, got ${shown(got)}`,
      );
    default:
      return new RequestError(field || 'body', `${field || 'the body'} ${e.message}, got ${shown(got)}`);
  }
}
