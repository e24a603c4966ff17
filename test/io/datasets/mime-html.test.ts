import { describe, expect, it } from 'vitest';
import { decodeCharset, htmlToText, mimeText, utf8ToBytes } from '../../../src/io/datasets/mime.js';

const b64 = (text: string): string => btoa(utf8ToBytes(text));

describe('htmlToText: inline and block tags', () => {
  it('joins letters split by inline tags, as a browser renders them', () => {
    const html =
      '<p>V<b>i</b>a<font color="red">g</font>ra at <span style="x">L</span><i>OW</i> ' +
      '<A HREF="http://x.example">pri</a>ces</p>';
    expect(htmlToText(html)).toBe('Viagra at LOW prices');
  });

  it('keeps words apart where a block or other tag separates them', () => {
    const html =
      '<table><tr><td>Price</td><td>$10</td></tr></table>one<br>two<div>three</div>four<img src="x.gif">five';
    expect(htmlToText(html)).toBe('Price $10\none\ntwo\nthree\nfour five');
  });

  it('keeps the space that the source puts around an inline tag', () => {
    expect(htmlToText('Act <b>now</b> and <em>save</em>!')).toBe('Act now and save!');
    expect(htmlToText('a&nbsp;<strong>b</strong>&nbsp;c')).toBe('a b c');
  });
});

describe('mimeText: multipart/alternative', () => {
  const alternative = (plain: string, html: string): string =>
    [
      'Content-Type: multipart/alternative; boundary="XX"',
      '',
      '--XX',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64(plain),
      '--XX',
      'Content-Type: text/html',
      '',
      html,
      '--XX--',
    ].join('\r\n');

  it('prefers the plain part when it carries the message', () => {
    const raw = alternative(
      'Cheap loans for everyone today',
      '<p>Cheap <b>loans</b> for everyone today, click</p>',
    );
    expect(mimeText(raw)).toBe('Cheap loans for everyone today');
  });

  it('reads the HTML part when the plain part is a stub with under a third of its words', () => {
    const html =
      '<p>Approval in less than 24 hours! Increase your sales by 300% today, no fees, no forms</p>';
    // 5 plain words against 17 HTML words (the htmlpart marker included): a stub.
    expect(mimeText(alternative('This is an HTML message', html))).toBe(
      'htmlpart\nApproval in less than 24 hours! Increase your sales by 300% today, no fees, no forms',
    );
    // 5 against 15: the plain part holds a third of the words, so it stays.
    const fifteen = '<p>a b c d e f g h i j k l m n</p>';
    expect(mimeText(alternative('This is an HTML message', fifteen))).toBe('This is an HTML message');
  });
});

describe('mimeText: charsets and boundaries that mailers get wrong', () => {
  // こんにちは in ISO-2022-JP: ESC $ B, JIS X 0208 pairs, ESC ( B.
  const jis = '\x1b$B$3$s$K$A$O\x1b(B';

  it('decodes 7-bit ISO-2022-JP, declared or not', () => {
    expect(decodeCharset(jis, 'iso-2022-jp')).toBe('こんにちは');
    expect(decodeCharset(`Re: ${jis}`)).toBe('Re: こんにちは');
    expect(decodeCharset(jis, 'us-ascii')).toBe('こんにちは');
    // Declared as another charset, the bytes stay as they are.
    expect(decodeCharset(jis, 'iso-8859-1')).toBe(jis);
    const raw = `Content-Type: text/plain;\n\tcharset="iso-2022-jp"\nContent-Transfer-Encoding: 7bit\n\n${jis}\n`;
    expect(mimeText(raw)).toBe('こんにちは\n');
  });

  it('splits at a delimiter written with spaces the declared boundary lacks', () => {
    const raw = [
      'Content-Type: multipart/alternative; boundary="=Multipart Boundary 0731021742"',
      '',
      'This is a multipart MIME message.',
      '--= Multipart Boundary 0731021742',
      'Content-Type: text/plain;',
      '',
      'Get your own great-looking website',
      '--= Multipart Boundary 0731021742',
      'Content-Type: text/html;',
      '',
      '<p>Get your own <b>great-looking</b> website</p>',
      '--= Multipart Boundary 0731021742--',
    ].join('\n');
    expect(mimeText(raw)).toBe('Get your own great-looking website');
  });
});
