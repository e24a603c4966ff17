import { describe, expect, it } from 'vitest';
import { loadSpamAssassin } from '../../../src/io/datasets/spam.js';

describe('loadSpamAssassin: header fields kept', () => {
  it("puts the From line, then the Subject line, above the body with 'from-subject'", async () => {
    const [both, subject] = await Promise.all([
      loadSpamAssassin({ headers: 'from-subject', groups: ['hard-ham-1'] }),
      loadSpamAssassin({ headers: 'subject', groups: ['hard-ham-1'] }),
    ]);
    const i = both.ids.indexOf('hard-ham-1/00005');
    expect(both.texts[i]!.split('\n').slice(0, 3)).toEqual([
      '"The ISO17799 Newsletter" <iso17799@securityrisk.co.uk>',
      'The ISO17799 Newsletter - Issue 4',
      '',
    ]);
    // The same text as 'subject' below the From line (a blank line first where there is no Subject).
    for (const [k, text] of both.texts.entries()) {
      const from = text.slice(0, text.indexOf('\n'));
      expect([`${from}\n${subject.texts[k]}`, `${from}\n\n${subject.texts[k]}`]).toContain(text);
    }
  });

  it('rejects an unknown headers mode, naming the choices', async () => {
    await expect(loadSpamAssassin({ headers: 'from' as 'subject' })).rejects.toThrow(
      /headers must be one of strip, keep, subject, from-subject, got from/,
    );
  });

  it('decodes raw 8-bit and ISO-2022-JP Subjects in the charset the message uses', async () => {
    const [ham, spam] = await Promise.all([
      loadSpamAssassin({ headers: 'subject', groups: ['hard-ham-1'] }),
      loadSpamAssassin({ headers: 'subject', groups: ['spam-2'] }),
    ]);
    const first = (c: typeof ham, id: string) => c.texts[c.ids.indexOf(id)]!.split('\n')[0];
    // 7-bit JIS escapes, declared nowhere in the header.
    expect(first(ham, 'hard-ham-1/00039')).toBe(
      '日本語の件名（サブジェクト）\u3000スパムメールではありません！',
    );
    // Raw EUC-KR bytes in the Subject; the HTML part declares ks_c_5601-1987.
    expect(first(spam, 'spam-2/01017')).toBe('[광고]명품향수&명품화장품');
  });
});
