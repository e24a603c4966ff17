import { ValueError } from '../../tensor/errors.js';

/**
 * MIME e-mail → readable text (RFC 2045–2047, tolerant): multipart bodies are split at their
 * boundaries, base64 and quoted-printable parts are decoded, text is decoded from its charset,
 * HTML becomes plain text, and attachments leave only a short note of their type.
 * Pure string code: no `node:` modules, so it also runs in a browser.
 *
 * Internally a message travels as a "byte string": one char per byte (codes 0–255), the
 * form `atob` returns; text only becomes Unicode once its part's charset is known.
 */

export interface MimeTextOptions {
  /**
   * Put a marker word before text that came from HTML with no plain alternative (`htmlpart`), a note (`attachment
   * <type>`) where a non-text part was dropped, and `pgpsignature` in place of an inline PGP
   * signature block (which is removed either way). Default true.
   */
  markers?: boolean;
}

/** A header block parsed into lower-case field names (first occurrence wins) with unfolded values. */
export function parseHeaders(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  // Folded fields continue on lines that start with a space or a tab.
  const unfolded = block.replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || fields.has(name)) continue;
    fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** `text/html; charset="utf-8"` → type `text/html` and its parameters (names lower-case). */
export function parseContentType(value: string | undefined): {
  type: string;
  params: Map<string, string>;
} {
  const params = new Map<string, string>();
  if (value === undefined || value.trim() === '') return { type: 'text/plain', params };
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;\s]*))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    const name = m[1]!.toLowerCase();
    if (!params.has(name)) params.set(name, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  }
  // A bare "text" or garbage is read as plain text, as mail readers do.
  return { type: /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'text/plain', params };
}

/** Base64 → byte string, skipping characters outside the alphabet and a dangling last char. */
export function decodeBase64(s: string): string {
  let clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  clean = clean.slice(0, clean.length - (clean.length % 4 === 1 ? 1 : 0));
  const pad = (4 - (clean.length % 4)) % 4;
  return atob(clean + '='.repeat(pad));
}

/** Quoted-printable → byte string: `=XX` escapes and `=` soft line breaks; a stray `=` is kept. */
export function decodeQuotedPrintable(s: string): string {
  return s
    .replace(/[ \t]+(?=\r?\n)/g, '')
    .replace(/=[ \t]*\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

function toBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** UTF-8 text → byte string (the inverse of decoding a byte string as UTF-8). */
export function utf8ToBytes(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

// ESC $ B and ESC $ @: the switches into JIS X 0208 that mark ISO-2022-JP text.
const hasJisEscape = (bytes: string): boolean => bytes.includes('\x1b$B') || bytes.includes('\x1b$@');

const UTF8_LIKE = new Set(['', 'utf-8', 'utf8', 'us-ascii', 'ascii', 'unknown', 'unknown-8bit', 'x-unknown']);

/**
 * Byte string → text in `charset`. UTF-8, ASCII and undeclared text are read as UTF-8 when
 * they are valid UTF-8 and as Windows-1252 otherwise (mail that lies about its charset);
 * a charset this runtime cannot decode falls back the same way. 7-bit text with ISO-2022-JP
 * escape sequences is read as ISO-2022-JP even where no charset (or ASCII) is declared.
 */
export function decodeCharset(bytes: string, charset = ''): string {
  const label = charset.trim().toLowerCase();
  const eightBit = /[\x80-\xff]/.test(bytes);
  // ISO-2022-JP is 7-bit: its escape sequences switch into JIS X 0208, declared or not.
  if (hasJisEscape(bytes) && (label.startsWith('iso-2022-jp') || (!eightBit && UTF8_LIKE.has(label)))) {
    return new TextDecoder('iso-2022-jp').decode(toBytes(bytes));
  }
  // Pure ASCII reads the same in every other charset this corpus uses.
  if (!eightBit) return bytes;
  const data = toBytes(bytes);
  if (!UTF8_LIKE.has(label)) {
    try {
      const decoder = new TextDecoder(label);
      return decoder.encoding === 'windows-1252' ? decodeWindows1252(bytes) : decoder.decode(data);
    } catch {
      // Unknown label: fall through to the UTF-8 / Windows-1252 guess.
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return decodeWindows1252(bytes);
  }
}

// Windows-1252 at 0x80–0x9F (where Latin-1 has control codes); the five unassigned bytes
// stay as they are. Written out because some runtimes decode this label as plain Latin-1.
const CP1252_HIGH = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ';

function decodeWindows1252(bytes: string): string {
  return bytes.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

/** `=?charset?B|Q?...?=` encoded words in a header value (RFC 2047) → text. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (_, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B' ? decodeBase64(data) : decodeQuotedPrintable(data.replace(/_/g, ' '));
      // RFC 2231 language suffix: charset*lang.
      return decodeCharset(bytes, charset.split('*')[0]);
    });
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  deg: '°',
  middot: '·',
  bull: '•',
  hellip: '…',
  ndash: '–',
  mdash: '—',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  times: '×',
  eacute: 'é',
  egrave: 'è',
  agrave: 'à',
  aacute: 'á',
  ccedil: 'ç',
  uuml: 'ü',
  ouml: 'ö',
  auml: 'ä',
  szlig: 'ß',
};

/** `&amp;`, `&#233;`, `&#xE9;` and common named entities → characters; unknown ones stay. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z][a-zA-Z0-9]{1,31});?/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp =
        e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : ' ';
    }
    return ENTITIES[e] ?? ENTITIES[e.toLowerCase()] ?? m;
  });
}

// Tags a browser renders inside a line: they join the letters on either side (spam splits
// words with them, "V<b>i</b>agra"), so they go without leaving a space.
const INLINE_TAG =
  /<\/?(?:a|abbr|b|bdi|bdo|big|blink|cite|code|del|dfn|em|font|i|ins|kbd|mark|nobr|q|s|samp|small|span|strike|strong|sub|sup|tt|u|var|wbr)\b[^>]*(?:>|$)/gi;

/**
 * HTML → text: scripts, styles and comments go, block tags become line breaks, inline tags
 * (font, b, span, a…) vanish without a space, any other tag becomes a space, entities decode.
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?(?:-->|$)/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ')
    .replace(/<(?:br|p|div|tr|li|h[1-6]|hr|table|blockquote|center)\b[^>]*>/gi, '\n')
    .replace(/<\/(?:p|div|tr|li|h[1-6]|table|blockquote|center)\s*>/gi, '\n')
    .replace(INLINE_TAG, '')
    .replace(/<\/?[a-zA-Z!][^>]*(?:>|$)/g, ' ');
  return decodeEntities(text)
    .replace(/[ \t\r\f\v\u00a0]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

// A few tags are enough to tell an HTML body sent without (or with a wrong) Content-Type.
const HTML_TAG = /<\/?(?:html|body|head|table|td|tr|font|div|p|br|center|img|a\s)[^>]*>/gi;

function looksLikeHtml(text: string): boolean {
  return /<html\b|<body\b/i.test(text) || (text.match(HTML_TAG)?.length ?? 0) >= 4;
}

// A multipart body sent without its Content-Type header still shows a delimiter line
// followed by a part header.
const BARE_DELIMITER = /^--([^\r\n]{1,200}?)[ \t]*\r?\nContent-(?:Type|Transfer-Encoding|Disposition):/im;

/**
 * Splits a multipart body at `--boundary` lines; the preamble and epilogue are dropped. A
 * boundary that no line matches is tried again ignoring white space (some mailers declare
 * `boundary="=Multipart Boundary 07"` and write `--= Multipart Boundary 07`).
 */
function splitMultipart(body: string, boundary: string): string[] | null {
  return splitAt(body, boundary, (s) => s) ?? splitAt(body, boundary, (s) => s.replace(/\s+/g, ''));
}

function splitAt(body: string, boundary: string, norm: (s: string) => string): string[] | null {
  const delim = norm(`--${boundary}`);
  const lines = body.split(/\r?\n/);
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const raw of lines) {
    const line = norm(raw);
    if (line.startsWith(delim)) {
      const rest = line.slice(delim.length);
      if (rest.startsWith('--')) {
        if (current !== null) parts.push(current.join('\n'));
        current = null;
        break;
      }
      if (rest.trim() === '') {
        if (current !== null) parts.push(current.join('\n'));
        current = [];
        continue;
      }
    }
    current?.push(raw);
  }
  // A missing closing delimiter (truncated mail) still ends the last part.
  if (current !== null) parts.push(current.join('\n'));
  return parts.length > 0 ? parts : null;
}

const MAX_DEPTH = 8;

// A plain alternative with under a third of the words of another rendering is a stub.
const STUB_RATIO = 3;

function wordCount(text: string): number {
  return text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
}

interface Entity {
  headers: Map<string, string>;
  body: string;
}

function splitEntity(raw: string): Entity {
  // A part that starts with its blank line has no headers.
  const lead = /^\r?\n/.exec(raw);
  if (lead !== null) return { headers: new Map(), body: raw.slice(lead[0].length) };
  const m = /\r?\n\r?\n/.exec(raw);
  // A part with no blank line is all headers when it looks like them, else all body.
  if (m === null) {
    return /^[\w-]+:/.test(raw)
      ? { headers: parseHeaders(raw), body: '' }
      : { headers: new Map(), body: raw };
  }
  return { headers: parseHeaders(raw.slice(0, m.index)), body: raw.slice(m.index + m[0].length) };
}

function transferDecode(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') return decodeBase64(body);
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function entityText(e: Entity, depth: number, markers: boolean): string {
  let { type, params } = parseContentType(e.headers.get('content-type'));
  const bare = e.headers.has('content-type') ? null : BARE_DELIMITER.exec(e.body);
  if (bare !== null) {
    type = 'multipart/mixed';
    params = new Map([['boundary', bare[1]!]]);
  }
  const encoding = e.headers.get('content-transfer-encoding');
  if (type.startsWith('multipart/') && depth < MAX_DEPTH) {
    const boundary = params.get('boundary');
    const parts = boundary ? splitMultipart(e.body, boundary) : null;
    // No usable boundary: read what is there as plain text rather than lose the message.
    if (parts === null) return leafText(e.body, 'text/plain', params.get('charset'), encoding, markers);
    const entities = parts.map(splitEntity);
    if (type === 'multipart/alternative') {
      // One rendering of the same content: the plain one if it has words, else the richest.
      const texts = entities.map((p) => ({
        type: parseContentType(p.headers.get('content-type')).type,
        text: entityText(p, depth + 1, markers),
      }));
      // The HTML twin of a plain part adds no words and, as a marker, little evidence; but a
      // plain stub ("This is an HTML message") stands for an HTML part that says far more.
      const counted = texts.map((t) => ({ ...t, words: wordCount(t.text) }));
      const richest = counted.reduce((a, b) => (b.words > a.words ? b : a));
      const plain = counted.find((t) => t.type === 'text/plain' && t.words > 0);
      return plain !== undefined && plain.words * STUB_RATIO >= richest.words ? plain.text : richest.text;
    }
    return entities
      .map((p) => entityText(p, depth + 1, markers))
      .filter((t) => t !== '')
      .join('\n\n');
  }
  if (type === 'message/rfc822' && depth < MAX_DEPTH) {
    const inner = splitEntity(transferDecode(e.body, encoding));
    const subject = inner.headers.get('subject');
    const text = entityText(inner, depth + 1, markers);
    return subject ? `${decodeEncodedWords(subject)}\n\n${text}` : text;
  }
  const disposition = (e.headers.get('content-disposition') ?? '').toLowerCase();
  const isText = type.startsWith('text/') || type === 'message/rfc822' || type.startsWith('multipart/');
  if (!isText || (disposition.startsWith('attachment') && type !== 'text/plain' && type !== 'text/html')) {
    return markers ? `attachment ${type}` : '';
  }
  return leafText(e.body, type, params.get('charset'), encoding, markers);
}

function leafText(
  body: string,
  type: string,
  charset: string | undefined,
  encoding: string | undefined,
  markers: boolean,
): string {
  const text = decodeCharset(transferDecode(body, encoding), charset);
  if (type === 'text/html' || looksLikeHtml(text)) {
    const plain = htmlToText(text);
    return markers ? `htmlpart\n${plain}` : plain;
  }
  // An inline signature is noise to a reader; a marker keeps the fact that the text was signed.
  return text.replace(PGP_SIGNATURE, markers ? 'pgpsignature' : '');
}

const PGP_SIGNATURE = /-----BEGIN PGP SIGNATURE-----[\s\S]*?(?:-----END PGP SIGNATURE-----|$)/g;

/**
 * The readable text of a MIME message body. `body` is the message after its header block,
 * `headers` the header block (for Content-Type and Content-Transfer-Encoding). Both are byte
 * strings (one char per byte, as read with the `latin1` encoding); pass `utf8ToBytes(text)`
 * for text that is already Unicode. Never throws on malformed input: what cannot be parsed
 * is kept as plain text.
 */
export function mimeBodyText(headers: string, body: string, options: MimeTextOptions = {}): string {
  if (typeof headers !== 'string' || typeof body !== 'string') {
    throw new ValueError(
      `mimeBodyText: headers and body must be strings, got ${typeof headers} and ${typeof body}`,
    );
  }
  const markers = options.markers ?? true;
  return entityText({ headers: parseHeaders(headers), body }, 0, markers);
}

/** The readable text of a whole raw message (headers, a blank line, the body); see mimeBodyText. */
export function mimeText(raw: string, options: MimeTextOptions = {}): string {
  if (typeof raw !== 'string') throw new ValueError(`mimeText: raw must be a string, got ${typeof raw}`);
  const m = /\r?\n\r?\n/.exec(raw);
  if (m === null) return mimeBodyText(raw, '', options);
  return mimeBodyText(raw.slice(0, m.index), raw.slice(m.index + m[0].length), options);
}
