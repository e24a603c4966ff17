import { describe, expect, it } from 'vitest';
import {
  decodeBase64,
  decodeCharset,
  decodeEncodedWords,
  decodeEntities,
  decodeQuotedPrintable,
  htmlToText,
  mimeText,
  parseContentType,
  utf8ToBytes,
} from '../../src/io/datasets/mime.js';
import { loadSpamAssassin } from '../../src/io/datasets/spam.js';

const b64 = (text: string): string => btoa(utf8ToBytes(text));

describe('MIME pieces', () => {
  it('decodes base64, tolerating line breaks, junk and missing padding', () => {
    expect(decodeBase64('SGVsbG8s\r\nIHdvcmxk\nIQ==')).toBe('Hello, world!');
    expect(decodeBase64('SGVsbG8')).toBe('Hello');
    expect(decodeBase64('SGV*sbG8=\n')).toBe('Hello');
    // A dangling sixth bit group cannot make a byte and is dropped.
    expect(decodeBase64('SGVsbG8hX')).toBe('Hello!');
  });

  it('decodes quoted-printable escapes and soft line breaks', () => {
    expect(decodeQuotedPrintable('caf=C3=A9 au l=\r\nait =3D 2=\nx')).toBe('caf\xc3\xa9 au lait = 2x');
    // Trailing blanks on a line are transport padding; a stray "=" is kept.
    expect(decodeQuotedPrintable('a  \nb =ZZ c')).toBe('a\nb =ZZ c');
  });

  it('decodes charsets and falls back to Windows-1252 for bytes that are not UTF-8', () => {
    expect(decodeCharset('caf\xc3\xa9', 'utf-8')).toBe('café');
    expect(decodeCharset('caf\xe9', 'iso-8859-1')).toBe('café');
    expect(decodeCharset('\x93hi\x94', 'windows-1252')).toBe('“hi”');
    expect(decodeCharset('caf\xe9', 'utf-8')).toBe('café');
    expect(decodeCharset('caf\xc3\xa9', 'x-no-such-charset')).toBe('café');
    expect(decodeCharset('\xc1\xc2', 'koi8-r')).toBe('аб');
  });

  it('decodes RFC 2047 encoded words and HTML entities', () => {
    expect(decodeEncodedWords('=?iso-8859-1?Q?Caf=E9_ouvert?= =?UTF-8?B?IOKCrDU=?= today')).toBe(
      'Café ouvert €5 today',
    );
    expect(decodeEntities('a &amp; b &lt;c&gt; &#233;&#xE9; &nbsp;&bogus; &#0;')).toBe(
      'a & b <c> éé  &bogus;  ',
    );
  });

  it('turns HTML into text: tags, scripts, styles and comments go, blocks break lines', () => {
    const html =
      '<html><head><title>t</title><style>p{color:red}</style></head><body>' +
      '<p>Free&nbsp;<b>money</b> &amp; more</p><!-- hidden --><script>var x=1;</script>' +
      '<a href="http://x.example">Click here</a><br>Bye</body></html>';
    expect(htmlToText(html)).toBe('Free money & more\nClick here\nBye');
  });

  it('parses Content-Type parameters, quoted or not', () => {
    const ct = parseContentType('Multipart/Alternative; boundary="=_a b;c"; charset=UTF-8');
    expect([ct.type, ct.params.get('boundary'), ct.params.get('charset')]).toEqual([
      'multipart/alternative',
      '=_a b;c',
      'UTF-8',
    ]);
    expect(parseContentType(undefined).type).toBe('text/plain');
    expect(parseContentType('garbage').type).toBe('text/plain');
  });
});

describe('mimeText on whole messages', () => {
  it('keeps a plain message unchanged', () => {
    expect(mimeText('Subject: hi\nFrom: a@b\n\nHello there,\n  indented line\n')).toBe(
      'Hello there,\n  indented line\n',
    );
  });

  it('picks the plain part of multipart/alternative, else the HTML one', () => {
    const raw = (plain: string) =>
      [
        'Content-Type: multipart/alternative; boundary="XX"',
        '',
        'This is a multi-part message in MIME format.',
        '--XX',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        b64(plain),
        '--XX',
        'Content-Type: text/html',
        '',
        '<p>HTML text</p>',
        '--XX--',
        'epilogue',
      ].join('\r\n');
    expect(mimeText(raw('Plain café text'))).toBe('Plain café text');
    expect(mimeText(raw(' \n'))).toBe('htmlpart\nHTML text');
    expect(mimeText(raw(' \n'), { markers: false })).toBe('HTML text');
  });

  it('uses the HTML part when the plain part is empty, decoding quoted-printable in latin1', () => {
    const raw = [
      'Content-Type: multipart/alternative; boundary=b1',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      '',
      '--b1',
      'Content-Type: text/html; charset="iso-8859-1"',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '<font size=3D"2">Gr=FC=DFe &amp; Dank, this line is soft-=',
      'broken</font>',
      '--b1--',
    ].join('\n');
    expect(mimeText(raw)).toBe('htmlpart\nGrüße & Dank, this line is soft-broken');
  });

  it('walks nested multiparts and reduces attachments to their type', () => {
    const raw = [
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary="inner"',
      '',
      '--inner',
      'Content-Type: text/plain',
      '',
      'Inner plain',
      '--inner',
      'Content-Type: text/html',
      '',
      '<b>Inner html</b>',
      '--inner--',
      '--outer',
      'Content-Type: image/gif; name="x.gif"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="x.gif"',
      '',
      'R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=',
      '--outer',
      'Content-Type: message/rfc822',
      '',
      'Subject: =?utf-8?Q?Forwarded_=E2=9C=93?=',
      'Content-Type: text/html',
      '',
      '<p>Inside &quot;forward&quot;</p>',
      '--outer--',
    ].join('\n');
    expect(mimeText(raw)).toBe(
      'Inner plain\n\nattachment image/gif\n\nForwarded ✓\n\nhtmlpart\nInside "forward"',
    );
    expect(mimeText(raw, { markers: false })).toBe('Inner plain\n\nForwarded ✓\n\nInside "forward"');
  });

  it('reads a single-part base64 HTML body and replaces an inline PGP signature', () => {
    const html = `Content-Type: text/html\nContent-Transfer-Encoding: BASE64\n\n${b64('<h1>Win</h1>big')}`;
    expect(mimeText(html)).toBe('htmlpart\nWin\nbig');
    const signed = 'Hi\n-----BEGIN PGP SIGNATURE-----\n\niD8DBQE9\n-----END PGP SIGNATURE-----\n';
    expect(mimeText(`From: a\n\n${signed}`)).toBe('Hi\npgpsignature\n');
  });

  it('survives malformed messages without throwing', () => {
    // Boundary declared but never used: the body is read as plain text.
    expect(mimeText('Content-Type: multipart/mixed; boundary="nope"\n\nJust text\n')).toBe('Just text\n');
    // No boundary parameter at all.
    expect(mimeText('Content-Type: multipart/mixed\n\nStill text')).toBe('Still text');
    // Missing closing delimiter and a part with no header block.
    expect(
      mimeText(
        'Content-Type: multipart/mixed; boundary=z\n\n--z\n\nfirst\n--z\nContent-Type: text/plain\n\nsecond',
      ),
    ).toBe('first\n\nsecond');
    // Broken base64 and a header block with no body.
    expect(mimeText('Content-Transfer-Encoding: base64\n\n!!!')).toBe('');
    expect(mimeText('Subject: only headers')).toBe('');
    // Unterminated HTML tag and comment.
    expect(htmlToText('ok <a href="x" <!-- never closed')).toBe('ok');
    expect(() => mimeText(42 as unknown as string)).toThrow(/raw must be a string, got number/);
  });
});

describe('SpamAssassin bodies after decoding', () => {
  it('leaves (almost) no encoded or HTML residue and keeps the raw text on request', async () => {
    const groups = ['spam-2'] as const;
    const decoded = await loadSpamAssassin({ groups, headers: 'strip' });
    const raw = await loadSpamAssassin({ groups, headers: 'strip', decode: false });
    expect([decoded.texts.length, raw.texts.length]).toEqual([1396, 1396]);
    // A line of base64 (60+ alphabet chars mixing upper case, lower case and digits).
    const base64Line = /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z0-9+/]{60,}={0,2}$/m;
    const html = /<\/?(?:html|body|table|font|td)\b/i;
    const count = (texts: string[], re: RegExp) => texts.filter((t) => re.test(t)).length;
    expect(count(raw.texts, base64Line)).toBeGreaterThan(50);
    // What remains are the random letter strings some spam puts in its text to fool filters.
    expect(count(decoded.texts, base64Line)).toBeLessThanOrEqual(3);
    expect(count(raw.texts, html)).toBeGreaterThan(500);
    expect(count(decoded.texts, html)).toBeLessThanOrEqual(10);
  });
});
