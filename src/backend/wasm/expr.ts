/*
 * The contract's length expressions (src/backend/contract-spec.ts), compiled once into functions of
 * a kernel's arguments: the same rules the generated C++ checks apply, read by a small parser
 * rather than eval (pages with a content security policy forbid eval). Grammar, loosest first:
 *   cond  := or ('?' cond ':' cond)?
 *   or    := and ('||' and)*          and := cmp ('&&' cmp)*
 *   cmp   := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?
 *   sum   := prod (('+' | '-') prod)*  prod := atom (('*' | '/') atom)*
 *   atom  := number | name | name '.length' | 'numel(' name ')' | '(' cond ')'
 */

/** What an expression reads: numbers and flags by name, arrays and shapes for .length and numel. */
export type ExprEnv = Readonly<Record<string, unknown>>;
export type Expr = (env: ExprEnv) => number;

const TOKEN = /\s*(numel\(|\d+(?:\.\d+)?|[A-Za-z_]\w*(?:\.length)?|<=|>=|==|!=|&&|\|\||[-+*/()<>?:])/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (text.slice(start).trim() === '') break;
      throw new Error(`contract expression '${text}': cannot read '${text.slice(start)}'`);
    }
    tokens.push(m[1]!);
  }
  return tokens;
}

const numel = (shape: unknown) => (shape as readonly number[]).reduce((p, d) => p * d, 1);
const asNumber = (v: unknown) => (typeof v === 'boolean' ? Number(v) : (v as number));

const BINARY: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '<': (a, b) => Number(a < b),
  '<=': (a, b) => Number(a <= b),
  '>': (a, b) => Number(a > b),
  '>=': (a, b) => Number(a >= b),
  '==': (a, b) => Number(a === b),
  '!=': (a, b) => Number(a !== b),
  '&&': (a, b) => Number(a !== 0 && b !== 0),
  '||': (a, b) => Number(a !== 0 || b !== 0),
};
const LEVELS = [['||'], ['&&'], ['<', '<=', '>', '>=', '==', '!='], ['+', '-'], ['*', '/']];

/** Compiles `text`; `sizes` are named sub-expressions (an entry's `sizes`, e.g. G = 4 * H). */
export function compileExpr(text: string, sizes: Readonly<Record<string, Expr>> = {}): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const expect = (t: string) => {
    if (tokens[i++] !== t) throw new Error(`contract expression '${text}': expected '${t}'`);
  };

  const cond = (): Expr => {
    const test = level(0);
    if (peek() !== '?') return test;
    i++;
    const yes = cond();
    expect(':');
    const no = cond();
    return (env) => (test(env) !== 0 ? yes(env) : no(env));
  };
  const level = (n: number): Expr => {
    if (n === LEVELS.length) return atom();
    let left = level(n + 1);
    while (LEVELS[n]!.includes(peek()!)) {
      const op = BINARY[tokens[i++]!]!;
      const [l, r] = [left, level(n + 1)];
      left = (env) => op(l(env), r(env));
    }
    return left;
  };
  const atom = (): Expr => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`contract expression '${text}' ends early`);
    if (t === '(') {
      const inner = cond();
      expect(')');
      return inner;
    }
    if (t === 'numel(') {
      const name = tokens[i++]!;
      expect(')');
      return (env) => numel(env[name]);
    }
    if (/^\d/.test(t)) {
      const v = Number(t);
      return () => v;
    }
    if (t.endsWith('.length')) {
      const name = t.slice(0, -'.length'.length);
      return (env) => (env[name] as ArrayLike<unknown> | null)?.length ?? 0;
    }
    const size = sizes[t];
    if (size) return size;
    return (env) => asNumber(env[t]);
  };

  const expr = cond();
  if (i !== tokens.length) throw new Error(`contract expression '${text}': unexpected '${tokens[i]}'`);
  return expr;
}
