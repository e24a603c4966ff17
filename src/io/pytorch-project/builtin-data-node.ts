/**
 * The built-in data kioku reads from npm packages, written as the plain files data.py reads
 * (JSONL texts), so an exported project trains on exactly what kioku trained on.
 */
import type { TextCorpus } from '../../data/corpus.js';
import { loadSpamAssassin, type SpamHeaders } from '../datasets/spam.js';
import type { ModelConfig } from '../model-config.js';

/** One JSON line per text: {"text": …, "label": class name}, in corpus order. */
export function corpusJsonl(corpus: TextCorpus): string {
  return corpus.texts
    .map((text, i) => `${JSON.stringify({ text, label: corpus.classes[corpus.labels[i]!] })}\n`)
    .join('');
}

/** The data file of a model trained on built-in texts (spam-assassin), read with its e-mail headers; null for the user's own files. */
export async function builtinDataFile(
  config: ModelConfig,
): Promise<{ name: string; content: string } | null> {
  if (config.data !== 'spam-assassin') return null;
  const headers = (config.headers as SpamHeaders | undefined) ?? 'from-subject';
  return { name: 'spam-assassin.jsonl', content: corpusJsonl(await loadSpamAssassin({ headers })) };
}
