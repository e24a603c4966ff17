/**
 * A parser for the safetensors JSON header and nothing else. `JSON.parse` would accept any
 * JSON, keep the last of duplicate keys, and build a general object graph before the schema
 * could be checked: a hostile 100 MB header of millions of keys or deep nesting then costs
 * minutes and gigabytes. This parser reads the one shape a header may have,
 *
 *   { "name": {"dtype": string, "shape": [uint, …], "data_offsets": [uint, …]}, …,
 *     "__metadata__": {"key": string, …} | null }
 *
 * in one pass, stops at the first deviation, rejects duplicate keys as it meets them and
 * allocates only the entries it hands on.
 */

/** One tensor entry as written, before its dtype and offsets are checked against the data. */
export interface RawEntry {
  name: string;
  dtype: string;
  shape: number[];
  offsets: number[];
}

const METADATA_KEY = '__metadata__';
const FIELDS = ['dtype', 'shape', 'data_offsets'] as const;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * Parses header `text`, handing each tensor entry to `onEntry` as soon as it is read (so a
 * bad entry stops the parse there) and returning the metadata. `fail(message)` builds the
 * error thrown at the first problem.
 */
export function parseHeader(
  text: string,
  fail: (message: string) => Error,
  onEntry: (entry: RawEntry) => void,
): Record<string, string> | null {
  return new HeaderParser(text, fail, onEntry).header();
}

/** Recursive descent over the fixed schema; `i` is the read position in `text`. */
class HeaderParser {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly fail: (message: string) => Error,
    private readonly onEntry: (entry: RawEntry) => void,
  ) {}

  header(): Record<string, string> | null {
    const { text } = this;
    this.ws();
    if (text.charCodeAt(this.i) !== OPEN_OBJECT) throw this.fail('the header must be a JSON object');
    this.i++;
    const names = new Set<string>();
    let metadata: Record<string, string> | null = null;
    this.ws();
    if (text.charCodeAt(this.i) !== CLOSE_OBJECT) {
      do {
        const name = this.string();
        if (names.has(name)) throw this.fail(`the header has the key ${JSON.stringify(name)} twice`);
        names.add(name);
        this.expect(COLON);
        if (name === METADATA_KEY) metadata = this.metadata();
        else this.onEntry(this.entry(name));
      } while (this.more(CLOSE_OBJECT));
    } else this.i++;
    this.ws();
    if (this.i !== text.length) throw this.syntax('nothing after the closing "}"');
    return metadata;
  }

  private syntax(expected: string): Error {
    const { i, text } = this;
    const found = i < text.length ? JSON.stringify(text[i]) : 'the end of the header';
    return this.fail(`the header is not valid JSON: expected ${expected} at character ${i}, found ${found}`);
  }

  private ws(): void {
    const { text } = this;
    let i = this.i;
    for (
      let c = text.charCodeAt(i);
      c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
      c = text.charCodeAt(++i)
    );
    this.i = i;
  }

  private expect(ch: number): void {
    this.ws();
    if (this.text.charCodeAt(this.i) !== ch) throw this.syntax(`"${String.fromCharCode(ch)}"`);
    this.i++;
  }

  /** After a member: true if another follows (","), false at the closing bracket. */
  private more(close: number): boolean {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    if (c === COMMA) {
      this.i++;
      return true;
    }
    if (c === close) {
      this.i++;
      return false;
    }
    throw this.syntax(`"," or "${String.fromCharCode(close)}"`);
  }

  /** What kind of JSON value starts here, for "got …" messages. */
  private kind(): string {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    if (c === OPEN_OBJECT) return 'an object';
    if (c === OPEN_LIST) return 'a list';
    if (c === QUOTE) return 'a string';
    if (c === 0x74 || c === 0x66) return 'a boolean';
    if (c === 0x6e) return 'null';
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return 'a number';
    return 'no value';
  }

  private string(): string {
    this.ws();
    const { text } = this;
    const n = text.length;
    if (text.charCodeAt(this.i) !== QUOTE) throw this.syntax('a string');
    let i = this.i + 1;
    let out = '';
    let from = i;
    for (;;) {
      if (i >= n) {
        this.i = i;
        throw this.syntax('the end of the string');
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c < 0x20) {
        this.i = i;
        throw this.syntax('no control character inside a string');
      }
      if (c !== BACKSLASH) {
        i++;
        continue;
      }
      out += text.slice(from, i);
      const e = text[i + 1];
      if (e === 'u') {
        const unit = this.hex4(i + 2);
        i += 6;
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          this.i = i;
          throw this.syntax('no lone low surrogate');
        }
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.startsWith('\\u', i) ? this.hex4(i + 2) : -1;
          if (low < 0xdc00 || low > 0xdfff) {
            this.i = i;
            throw this.syntax('a low surrogate after a high surrogate');
          }
          out += String.fromCharCode(unit, low);
          i += 6;
        } else out += String.fromCharCode(unit);
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        i += 2;
      } else {
        this.i = i + 1;
        throw this.syntax('a valid escape');
      }
      from = i;
    }
    out += text.slice(from, i);
    this.i = i + 1;
    return out;
  }

  private hex4(at: number): number {
    const h = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) {
      this.i = at;
      throw this.syntax('four hex digits');
    }
    return Number.parseInt(h, 16);
  }

  /** A non-negative integer below 2^53, written without sign, fraction or exponent. */
  private uint(what: string): number {
    this.ws();
    const { text } = this;
    const start = this.i;
    let i = start;
    let v = 0;
    for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i))
      v = v * 10 + (c - 0x30);
    const next = text.charCodeAt(i);
    const digits = i - start;
    if (
      digits === 0 ||
      next === 0x2e ||
      next === 0x65 ||
      next === 0x45 ||
      (digits > 1 && text.charCodeAt(start) === 0x30)
    ) {
      const token = /^[-+.0-9eE]{1,24}/.exec(text.slice(start, start + 24))?.[0];
      throw this.fail(`${what} must hold non-negative integers below 2^53, got ${token ?? this.kind()}`);
    }
    if (digits > 16 || v > Number.MAX_SAFE_INTEGER) {
      throw this.fail(
        `${what} must hold non-negative integers below 2^53, got ${text.slice(start, Math.min(i, start + 24))}`,
      );
    }
    this.i = i;
    return v;
  }

  private uintList(what: string): number[] {
    this.ws();
    if (this.text.charCodeAt(this.i) !== OPEN_LIST) {
      throw this.fail(`${what} must be a list of non-negative integers, got ${this.kind()}`);
    }
    this.i++;
    const out: number[] = [];
    this.ws();
    if (this.text.charCodeAt(this.i) === CLOSE_LIST) {
      this.i++;
      return out;
    }
    do out.push(this.uint(what));
    while (this.more(CLOSE_LIST));
    return out;
  }

  private entry(name: string): RawEntry {
    const what = `tensor "${name}"`;
    this.ws();
    if (this.text.charCodeAt(this.i) !== OPEN_OBJECT)
      throw this.fail(`${what} must be an object, got ${this.kind()}`);
    this.i++;
    const e: RawEntry = { name, dtype: '', shape: [], offsets: [] };
    let seen = 0;
    this.ws();
    if (this.text.charCodeAt(this.i) !== CLOSE_OBJECT) {
      do {
        const key = this.string();
        const bit = key === 'dtype' ? 1 : key === 'shape' ? 2 : key === 'data_offsets' ? 4 : 0;
        if (bit === 0) throw this.fail(`${what} has the unknown field ${JSON.stringify(key)}`);
        if (seen & bit) throw this.fail(`${what} has the field "${key}" twice`);
        seen |= bit;
        this.expect(COLON);
        if (bit === 1) {
          if (this.kind() !== 'a string')
            throw this.fail(`${what} dtype must be a string, got ${this.kind()}`);
          e.dtype = this.string();
        } else if (bit === 2) e.shape = this.uintList(`${what} shape`);
        else e.offsets = this.uintList(`${what} data_offsets`);
      } while (this.more(CLOSE_OBJECT));
    } else this.i++;
    FIELDS.forEach((f, k) => {
      if (!(seen & (1 << k))) throw this.fail(`${what} lacks the field "${f}"`);
    });
    return e;
  }

  private metadata(): Record<string, string> | null {
    this.ws();
    if (this.text.startsWith('null', this.i)) {
      this.i += 4;
      return null;
    }
    if (this.text.charCodeAt(this.i) !== OPEN_OBJECT) {
      throw this.fail(`"${METADATA_KEY}" must be an object of strings, got ${this.kind()}`);
    }
    this.i++;
    const out = new Map<string, string>();
    this.ws();
    if (this.text.charCodeAt(this.i) !== CLOSE_OBJECT) {
      do {
        const key = this.string();
        if (out.has(key)) throw this.fail(`"${METADATA_KEY}" has the key ${JSON.stringify(key)} twice`);
        this.expect(COLON);
        if (this.kind() !== 'a string') {
          throw this.fail(
            `"${METADATA_KEY}" value of ${JSON.stringify(key)} must be a string, got ${this.kind()}`,
          );
        }
        out.set(key, this.string());
      } while (this.more(CLOSE_OBJECT));
    } else this.i++;
    return Object.fromEntries(out);
  }
}
