/** data.py of an exported PyTorch project: kioku's data pipeline in Python (read by train.py). */
const TEXT_HEADER = String.raw`"""kioku's data pipeline, reproduced exactly in Python.

Texts: the CSV/TSV/JSONL files, JSON arrays of records and aclImdb directories kioku reads (labels
trimmed, numbers written one way, empty or missing labels left out), its class order, its seeded
subsample and stratified train/val/test split (kioku's xoshiro128** generator), its word
tokenizer, vocabulary, truncation and right padding. The same input gives the same token ids
and splits as kioku. The character classes come from
kioku's own Unicode tables (char_classes.py); NFKC normalisation and lower-casing come from
Python's, so a character newer than Python's Unicode version may normalise differently.
"""
import csv
import json
import math
import re
import sys
import unicodedata
from bisect import bisect_right
from pathlib import Path

import torch

from char_classes import ALNUM, CJK, EMOJI, PUNCT, RUN_CLASSES, RUN_STARTS

`;

/** What both kinds of data.py share: JavaScript semantics, kioku's generator, its CSV reading. */
export const COMMON_PY = String.raw`
class DataError(ValueError):
    """Bad data, named by file and line as kioku names it."""


# --- JavaScript semantics kioku relies on ------------------------------------------------------

# String.prototype.trim: JavaScript's white space and line terminators.
JS_SPACE = '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a' \
    '\u2028\u2029\u202f\u205f\u3000\ufeff'
_DECIMAL = re.compile(r'[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)')
_RADIX = re.compile(r'0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)')


def js_trim(s):
    return s.strip(JS_SPACE)


def js_number(text):
    """Number(text): decimal, Infinity, 0x/0o/0b integers; '' is 0; anything else NaN."""
    t = js_trim(text)
    if t == '':
        return 0.0
    if _DECIMAL.fullmatch(t):
        return float(t.replace('Infinity', 'inf'))
    m = _RADIX.fullmatch(t)
    if m:
        return float(int(m.group(1)[1:], {'x': 16, 'o': 8, 'b': 2}[m.group(1)[0].lower()]))
    return math.nan


def js_number_str(x):
    """String(x) for a number, as JavaScript writes it (shortest round-trip digits)."""
    x = float(x)
    if x != x:
        return 'NaN'
    if x == 0:
        return '0'
    if math.isinf(x):
        return 'Infinity' if x > 0 else '-Infinity'
    if x < 0:
        return '-' + js_number_str(-x)
    mantissa, _, exp = repr(x).partition('e')
    whole, _, frac = mantissa.partition('.')
    digits = (whole + frac).lstrip('0')
    n = len(whole) - (len(whole + frac) - len(digits)) + int(exp or 0)
    digits = digits.rstrip('0')
    k = len(digits)
    if k <= n <= 21:
        return digits + '0' * (n - k)
    if 0 < n <= 21:
        return digits[:n] + '.' + digits[n:]
    if -6 < n <= 0:
        return '0.' + '0' * -n + digits
    e = n - 1
    sign = '+' if e >= 0 else '-'
    return (digits if k == 1 else digits[0] + '.' + digits[1:]) + 'e' + sign + str(abs(e))


def js_round(x):
    """Math.round: the nearest integer, halves towards +Infinity."""
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


def code_units(s):
    """Sort key in JavaScript's default string order (UTF-16 code units)."""
    return s.encode('utf-16-be', 'surrogatepass')


# --- kioku's random generator (xoshiro128**, seeded through splitmix32) ------------------------

_M32 = 0xFFFFFFFF


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & _M32


class Generator:
    def __init__(self, seed=0):
        seed = math.trunc(seed)
        x, hi = seed % 2**32, (seed // 2**32) % 2**32
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B9 + hi) & _M32
            hi = 0
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & _M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _M32
            self.s.append(z ^ (z >> 16))
        if not any(self.s):
            self.s[0] = 1

    def next_u32(self):
        s = self.s
        result = (_rotl((s[1] * 5) & _M32, 7) * 9) & _M32
        t = (s[1] << 9) & _M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = _rotl(s[3], 11)
        return result

    def randint(self, n):
        return math.floor(self.next_u32() / 4294967296 * n)

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.randint(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


# --- CSV files ------------------------------------------------------------------------------

NOT_UTF8 = ('the file is not UTF-8 text (a Latin-1 or Windows-1252 export?); save it as UTF-8, '
            'for example with ${'`'}iconv -f latin1 -t utf-8${'`'}')


def not_utf8(path):
    """kioku's error for a file that is not UTF-8, at the line of its first bad byte (never U+FFFD in its place)."""
    raw = Path(path).read_bytes()
    try:
        raw.decode('utf-8')
        at = len(raw)
    except UnicodeDecodeError as e:
        at = e.start
    line = raw[:at].count(b'\n') + 1
    return DataError(f'{path}: line {line}: {NOT_UTF8}')


def sniff_delimiter(path, delimiter):
    """As kioku reads a comma file whose first line has no comma: ';' or a tab when that line has one."""
    if delimiter != ',':
        return delimiter
    with open(path, 'rb') as f:
        head = f.read(64 * 1024).decode('utf-8', errors='replace')
    first = re.split(r'\r\n?|\n', head, maxsplit=1)[0]
    if ',' in first:
        return delimiter
    return next((d for d in (';', '\t') if d in first), delimiter)


def read_csv(path, delimiter, with_lines=False):
    """The header (trimmed) and the rows of a CSV/TSV file, each checked against the header
    (with_lines: each row with the file line it ends on); strict UTF-8, as kioku reads it."""
    csv.field_size_limit(sys.maxsize)
    delimiter = sniff_delimiter(path, delimiter)
    with open(path, encoding='utf-8-sig', newline='') as f:
        try:
            yield from _csv_records(csv.reader(f, delimiter=delimiter, quotechar='"', doublequote=True),
                                    path, with_lines)
        except UnicodeDecodeError:
            raise not_utf8(path) from None


def _csv_records(rows, path, with_lines):
    header = None
    for row in rows:
        if not row:
            continue
        if header is None:
            header = [js_trim(h) for h in row]
            yield header
            continue
        if len(row) != len(header):
            raise DataError(f'{path}: line {rows.line_num}: expected {len(header)} columns '
                            f'({", ".join(header)}), got {len(row)}')
        yield (row, rows.line_num) if with_lines else row
    if header is None:
        raise DataError(f'{path}: empty file (no header row)')


def _column(header, name, path, role):
    if name not in header:
        raise DataError(f'{path}: unknown {role} column "{name}"; available columns: {", ".join(header)}')
    return header.index(name)


# --- JSON tables (a .json array of records) ----------------------------------------------------

# kioku reads a .json file whole, and refuses one larger than this (JSON lines and CSV stream).
MAX_JSON_BYTES = 256 * 1024 * 1024
_JSON_SPACE = ' \t\r\n'


def _no_constants(name):
    raise ValueError(f'{name} is not JSON')


def _json_scalar(v):
    """String(v) of a JSON number or boolean, as JavaScript writes it."""
    if isinstance(v, bool):
        return 'true' if v else 'false'
    return js_number_str(v)


def _element_lines(text):
    """The line each element of a JSON array starts on (the text is valid JSON)."""
    lines, line, depth, in_string, expect, i = [], 1, 0, False, False, 0
    while i < len(text):
        c = text[i]
        if c == '\n':
            line += 1
        if in_string:
            if c == '\\':
                i += 1
            elif c == '"':
                in_string = False
        elif c not in _JSON_SPACE:
            if depth == 1 and expect and c != ']':
                lines.append(line)
                expect = False
            if c == '"':
                in_string = True
            elif c in '[{':
                depth += 1
                expect = expect or depth == 1
            elif c in ']}':
                depth -= 1
            elif c == ',' and depth == 1:
                expect = True
        i += 1
    return lines


def read_json_records(path):
    """(record, line) of a .json file holding an array of objects, as kioku reads it: whole, strict UTF-8."""
    if Path(path).stat().st_size > MAX_JSON_BYTES:
        raise DataError(f'{path}: a .json file is read whole, and this one is over kioku\'s limit of '
                        f'{MAX_JSON_BYTES // 1024 // 1024} MiB; write it as JSON lines (.jsonl) or CSV')
    try:
        text = Path(path).read_bytes().decode('utf-8').lstrip('\ufeff')
    except UnicodeDecodeError as e:
        raise DataError(f'{path}: not UTF-8 ({e})') from None
    try:
        records = json.loads(text, parse_constant=_no_constants)
    except ValueError as e:
        raise DataError(f'{path}: invalid JSON ({e})') from None
    if not isinstance(records, list):
        raise DataError(f'{path}: a .json file must hold an array of records ([{{"date": ..., "value": ...}}, ...]); '
                        'one record per line is a .jsonl file')
    if not records:
        raise DataError(f'{path}: empty array (no records)')
    lines = _element_lines(text)
    for rec, line_no in zip(records, lines):
        if not isinstance(rec, dict):
            raise DataError(f'{path}: line {line_no}: each element of the array must be a record (an object)')
    return list(zip(records, lines))


def read_json_table(path):
    """A .json array of records as read_csv yields a table: the header (every key, in order of first
    appearance), then a row per record; a missing key or null is an empty cell, numbers and
    booleans are written out, a nested value is an error."""
    records = read_json_records(path)
    header = list(dict.fromkeys(k for rec, _ in records for k in rec))
    if not header:
        raise DataError(f'{path}: the records have no keys')
    yield header
    for rec, line_no in records:
        row = []
        for k in header:
            v = rec.get(k)
            if isinstance(v, (dict, list)):
                raise DataError(f'{path}: line {line_no}: column {k}: expected a string, number, boolean or null')
            row.append('' if v is None else v if isinstance(v, str) else _json_scalar(v))
        yield row


def read_table(path):
    """The header and rows of a .csv/.tsv/.tab file or of a .json array of records."""
    suffix = Path(path).suffix.lower()
    if suffix == '.json':
        return read_json_table(path)
    return read_csv(path, '\t' if suffix in ('.tsv', '.tab') else ',')

`;

/** The text half: labelled texts, the split, the word tokenizer and vocabulary. */
const TEXT_PY = String.raw`
# --- reading labelled texts --------------------------------------------------------------------

def _read_text(path):
    """A whole text file, strict UTF-8 as kioku reads it."""
    try:
        return Path(path).read_bytes().decode('utf-8')
    except UnicodeDecodeError:
        raise not_utf8(path) from None


def _record_row(rec, path, line_no, text_col, label_col, table):
    """(text, label as written) of one JSON record, as kioku reads it: null is empty (an empty
    text is kept, an empty label left out); in a .json table a number or boolean text is written out."""
    where = f'{path}: line {line_no}'
    if not isinstance(rec, dict):
        raise DataError(f'{where}: each record must be a JSON object')
    for key in (text_col, label_col):
        if key not in rec:
            raise DataError(f'{where}: missing key "{key}"; this record has keys: {", ".join(rec)}')
    text, label = rec[text_col], rec[label_col]
    text = '' if text is None else text
    label = '' if label is None else label
    if table and isinstance(text, (bool, int, float)):
        text = _json_scalar(text)
    if not isinstance(text, str) or not isinstance(label, (str, int, float, bool)):
        raise DataError(f'{where}: text must be a string and label a string, number or boolean')
    return text, label if isinstance(label, str) else _json_scalar(label)


def _jsonl_rows(path, text_col, label_col):
    # Lines end at \n, \r\n or \r, as Node's readline splits them (not at \v, \x85, \u2028 ...).
    for line_no, line in enumerate(re.split(r'\r\n|\n|\r', _read_text(path)), 1):
        if js_trim(line) == '':
            continue
        try:
            rec = json.loads(line, parse_constant=_no_constants)
        except ValueError as e:
            raise DataError(f'{path}: line {line_no}: invalid JSON ({e})') from None
        yield (*_record_row(rec, path, line_no, text_col, label_col, False), line_no)


def _json_table_rows(path, text_col, label_col):
    for rec, line_no in read_json_records(path):
        yield (*_record_row(rec, path, line_no, text_col, label_col, True), line_no)


def _csv_rows(path, text_col, label_col, delimiter):
    reader = read_csv(path, delimiter, with_lines=True)
    header = next(reader)
    ti, li = _column(header, text_col, path, 'text'), _column(header, label_col, path, 'label')
    for r, line_no in reader:
        yield r[ti], r[li], line_no


# Labels that mean "no label" (what spreadsheets and pandas write for a missing cell), after trimming.
MISSING_MARKERS = {'', 'na', 'nan', 'n/a', 'null', 'none'}
_LABEL_DECIMAL = re.compile(r'[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?')


def _canonical_number(label):
    """The number a label spells, written as kioku writes it ('1.0' -> '1'), or None."""
    if not _LABEL_DECIMAL.fullmatch(label):
        return None
    digits = re.sub(r'[^0-9]', '', re.sub(r'[eE].*$', '', label)).strip('0')
    n = float(label)
    return js_number_str(n) if len(digits) <= 15 and math.isfinite(n) else None


def normalise_labels(rows, source):
    """kioku's label hygiene: labels trimmed; rows whose label is empty or a missing-value marker
    (NaN, NA, N/A, null, None) left out with a warning; numbers written one way when every label
    is a number. rows: (text, label, line)."""
    kept = [(t, js_trim(label), line) for t, label, line in rows if js_trim(label).lower() not in MISSING_MARKERS]
    left_out = [(label, line) for _, label, line in rows if js_trim(label).lower() in MISSING_MARKERS]
    if left_out:
        markers = list(dict.fromkeys(js_trim(label) for label, _ in left_out if js_trim(label) != ''))
        what = f'an empty label or a missing-value marker ({", ".join(json.dumps(m) for m in markers)})' \
            if markers else 'an empty label'
        warn(f'{source}: left out {len(left_out)} row(s) with {what} (the first at line {left_out[0][1]})')
    canonical = {label: _canonical_number(label) for _, label, _ in kept}
    if any(c is None for c in canonical.values()):
        canonical = {}
    return [(t, canonical.get(label, label), line) for t, label, line in kept]


def warn(message):
    print(f'warning: {message}', file=sys.stderr)


def read_text_file(path, text_col='text', label_col='label'):
    """(texts, labels) of a .csv/.tsv/.tab/.jsonl/.ndjson/.json file, as kioku's loadTextFile reads
    them: labels normalised (normalise_labels), empty texts kept with a warning."""
    suffix = Path(path).suffix.lower()
    if suffix in ('.jsonl', '.ndjson'):
        read = list(_jsonl_rows(path, text_col, label_col))
    elif suffix == '.json':
        read = list(_json_table_rows(path, text_col, label_col))
    else:
        read = list(_csv_rows(path, text_col, label_col, '\t' if suffix in ('.tsv', '.tab') else ','))
    if not read:
        raise DataError(f'{path}: no data rows')
    rows = normalise_labels(read, path)
    if not rows:
        raise DataError(f'{path}: every row\'s label is empty or a missing-value marker ({len(read)} rows)')
    empty = [line for t, _, line in rows if js_trim(t) == '']
    if empty:
        shown = ', '.join(str(line) for line in empty[:10]) + (', ...' if len(empty) > 10 else '')
        warn(f'{path}: {len(empty)} text(s) are empty (lines {shown}); the model reads no input for them, '
             'and learns or is scored on a guess')
    return [t for t, _, _ in rows], [label for _, label, _ in rows]


_REVIEW = re.compile(r'([0-9]+)_([0-9]+)\.txt')
_BR = re.compile(f'<br[{re.escape(JS_SPACE)}]*/?>', re.IGNORECASE)


def read_imdb(root):
    """(texts, labels) of an aclImdb directory's train/ split: neg then pos, by review id."""
    texts, labels = [], []
    for cls in ('neg', 'pos'):
        folder = Path(root) / 'train' / cls
        files = []
        for p in folder.iterdir():
            if p.name.endswith('.txt'):
                m = _REVIEW.fullmatch(p.name)
                if not m:
                    raise DataError(f'{p}: review file name must be <id>_<rating>.txt')
                files.append((int(m.group(1)), p.name, p))
        for _, _, p in sorted(files):
            texts.append(_BR.sub(' ', p.read_bytes().decode('utf-8', errors='replace')))
            labels.append(cls)
    return texts, labels


def class_names(values):
    """kioku's class order: numeric labels by value, others in code-unit order."""
    unique = list(dict.fromkeys(values))
    if all(js_trim(v) != '' and math.isfinite(js_number(v)) for v in unique):
        return sorted(unique, key=js_number)
    return sorted(unique, key=code_units)


def load_texts(source, text_col='text', label_col='label'):
    """(texts, label ids, classes) from a file or an aclImdb directory."""
    if Path(source).is_dir():
        texts, raw = read_imdb(source)
        classes = ['neg', 'pos']
    else:
        texts, raw = read_text_file(source, text_col, label_col)
        classes = class_names(raw)
    if len(classes) < 2:
        raise DataError(f'{source}: the label column has a single class; a classifier needs at least 2')
    index = {c: i for i, c in enumerate(classes)}
    return texts, [index[r] for r in raw], classes


def subsample(items, limit, seed):
    """The first LIMIT items after a seeded shuffle (all of them without a limit)."""
    if limit is None or limit >= len(items):
        return items
    perm = Generator(seed).permutation(len(items))
    return [items[i] for i in perm[:limit]]


def train_val_test_split(labels, val=0.1, test=0.1, seed=0):
    """Indices of kioku's stratified split: round(n·val) and round(n·test) per class, each part shuffled."""
    gen = Generator(seed)
    groups = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    parts = ([], [], [])
    for g in groups.values():
        perm = gen.permutation(len(g))
        n_test, n_val = js_round(len(g) * test), js_round(len(g) * val)
        for k, p in enumerate(perm):
            parts[2 if k < n_test else 1 if k < n_test + n_val else 0].append(g[p])
    out = []
    for idx in parts:
        perm = gen.permutation(len(idx))
        out.append([idx[p] for p in perm])
    return tuple(out)


# --- tokenizer and vocabulary ------------------------------------------------------------------

def char_class(cp):
    """kioku's character classes (ALNUM, CJK, PUNCT, EMOJI bits) from its Unicode tables."""
    return RUN_CLASSES[bisect_right(RUN_STARTS, cp) - 1]


_JOINERS = {0x27, 0x2D, 0x2019}


def _emoji_end(cps, i):
    """End of the emoji sequence at i (flags, pictographs with modifiers and ZWJ), or None."""
    n = len(cps)
    ri = lambda c: 0x1F1E6 <= c <= 0x1F1FF  # noqa: E731
    modifier = lambda c: 0x1F3FB <= c <= 0x1F3FF  # noqa: E731
    pictograph = lambda c: char_class(c) & EMOJI and not ri(c)  # noqa: E731
    if ri(cps[i]) and i + 1 < n and ri(cps[i + 1]):
        return i + 2
    if not pictograph(cps[i]):
        return None
    j = i + 1
    while j < n and (modifier(cps[j]) or cps[j] in (0xFE0F, 0x20E3)):
        j += 1
    while j + 1 < n and cps[j] == 0x200D and pictograph(cps[j + 1]):
        j += 2
        while j < n and (modifier(cps[j]) or cps[j] == 0xFE0F):
            j += 1
    return j


class WordTokenizer:
    """kioku's WordTokenizer: words (inner ' and - kept), CJK per character or bigram, emoji, punctuation."""

    def __init__(self, lowercase=True, punctuation='strip', cjk='char', normalize=True, **_):
        self.lowercase, self.punctuation, self.cjk, self.normalize = lowercase, punctuation, cjk, normalize

    def tokenize(self, text):
        if self.normalize:
            text = unicodedata.normalize('NFKC', text)
        if self.lowercase:
            text = text.lower()
        cps = [ord(c) for c in text]
        out, i, n = [], 0, len(cps)
        while i < n:
            flags = char_class(cps[i])
            if flags & EMOJI:
                end = _emoji_end(cps, i)
                if end is not None:
                    out.append(text[i:end])
                    i = end
                    continue
            start, i = i, i + 1
            if flags & CJK:
                while i < n and char_class(cps[i]) & CJK:
                    i += 1
                run = text[start:i]
                out.extend(run if self.cjk == 'char' or len(run) == 1
                           else [run[k:k + 2] for k in range(len(run) - 1)])
            elif flags & ALNUM:
                while True:
                    while i < n and char_class(cps[i]) & ALNUM:
                        i += 1
                    if i + 1 < n and cps[i] in _JOINERS and char_class(cps[i + 1]) & ALNUM:
                        i += 1
                    else:
                        break
                out.append(text[start:i])
            elif flags & PUNCT and self.punctuation == 'keep':
                out.append(text[start:i])
        return out


def tokenizer_from_config(json_config):
    if json_config.get('type') != 'word':
        raise ValueError(f'only kioku\'s word tokenizer is reproduced, this model uses {json_config.get("type")!r}')
    return WordTokenizer(**json_config)


PAD, UNK, BOS, EOS = '<pad>', '<unk>', '<bos>', '<eos>'


class Vocab:
    """Token <-> id: <pad>=0, <unk>=1, then the corpus tokens."""

    def __init__(self, tokens, bos=False, eos=False):
        self.itos = list(tokens)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.bos, self.eos = bos, eos

    @staticmethod
    def from_config(v):
        return Vocab(v['tokens'], v.get('bos', False), v.get('eos', False))

    @staticmethod
    def build(token_lists, max_size=None, min_freq=1, tie_break='first'):
        """kioku's Vocab.build: by decreasing count, ties in first-appearance (or code-unit) order."""
        counts = {}
        for tokens in token_lists:
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
        specials = [PAD, UNK]
        kept = [(t, c, k) for k, (t, c) in enumerate(counts.items()) if c >= min_freq and t not in specials]
        kept.sort(key=(lambda e: (-e[1], e[2])) if tie_break == 'first' else (lambda e: (-e[1], code_units(e[0]))))
        room = len(kept) if max_size is None else min(len(kept), max_size - len(specials))
        return Vocab(specials + [t for t, _, _ in kept[:room]])

    def encode(self, tokens, max_length=None, truncation='head'):
        """Ids of the tokens (unknown ones are <unk>), cut to max_length keeping the head, tail or both."""
        room = len(tokens) if max_length is None else min(len(tokens), max_length)
        if room < len(tokens):
            if truncation == 'head':
                tokens = tokens[:room]
            elif truncation == 'tail':
                tokens = tokens[len(tokens) - room:]
            else:
                head = room // 4
                tokens = tokens[:head] + tokens[len(tokens) - (room - head):]
        return [self.stoi.get(t, 1) for t in tokens]

    def to_config(self):
        return {'format': 'kioku-vocab', 'version': 1, 'tokens': self.itos, 'bos': self.bos, 'eos': self.eos}


class TextEncoder:
    """Text -> token ids as kioku encodes them for its classifier: an empty text is one <unk>."""

    def __init__(self, tokenizer, vocab, max_len, truncation):
        self.tokenizer, self.vocab, self.max_len, self.truncation = tokenizer, vocab, max_len, truncation

    def __call__(self, text):
        ids = self.vocab.encode(self.tokenizer.tokenize(text), self.max_len, self.truncation)
        return ids or [1]


class TextDataset(torch.utils.data.Dataset):
    def __init__(self, ids, labels):
        self.ids, self.labels = ids, labels

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return self.ids[i], self.labels[i]


def collate_text(batch):
    """Right-padded ids (B, T) with 0, lengths (B,), labels (B,)."""
    lengths = torch.tensor([len(ids) for ids, _ in batch])
    padded = torch.zeros(len(batch), int(lengths.max()), dtype=torch.long)
    for b, (ids, _) in enumerate(batch):
        padded[b, :len(ids)] = torch.tensor(ids)
    return padded, lengths, torch.tensor([label for _, label in batch])
`;

/** data.py of a text classifier's project. */
export const DATA_PY = TEXT_HEADER + COMMON_PY + TEXT_PY;
