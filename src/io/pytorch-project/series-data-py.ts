/** data.py of a forecaster's project: kioku's series pipeline in Python (read by train.py). */
import { COMMON_PY } from './data-py.js';

const SERIES_HEADER = String.raw`"""kioku's forecasting data pipeline, reproduced exactly in Python.

Series: the CSV/TSV files and .json arrays of records kioku reads (the columns config.json records, its number and
missing-value rules, values held as float32 as kioku holds them), the split kioku recorded
(series.split), the target transform, each series' standardisation fitted on its training rows,
the calendar features of each row's date and the lookback windows of every forecast origin. The
formulas shared with forecasting (dates, calendar, transform and its inverse) are model.py's.
"""
import csv
import json
import math
import re
import sys
from pathlib import Path

import torch

from model import _context, _transformed, calendar_row, decode_forecast, encode_window, parse_date
`;

const SERIES_PY = String.raw`
# --- reading a series --------------------------------------------------------------------------

FLOAT32_MAX = 3.4028234663852886e38
MISSING = {'', 'na', 'nan', 'n/a', 'null', 'none'}


def float32(values):
    """The values as kioku holds them (a Float32Array), back as Python floats."""
    return torch.tensor(values, dtype=torch.float64).float().double().tolist()


def parse_cell(text, where):
    """A number, NaN for a missing marker; anything else (or beyond float32) is an error."""
    t = js_trim(text)
    if t.lower() in MISSING:
        return math.nan
    v = js_number(t)
    if not (math.isfinite(v) and abs(v) <= FLOAT32_MAX):
        raise DataError(f'{where}: expected a number within float32 range, got {text!r}')
    return v


def apply_missing(path, rows, policy):
    """kioku's missing-value policies on (values, label) rows: error, ffill or drop."""
    if policy == 'drop':
        kept = [r for r in rows if not any(math.isnan(v) for v in r[0])]
        if not kept:
            raise DataError(f"{path}: every one of the {len(rows)} rows has a missing value; no rows left after 'drop'")
        return kept
    for k, (values, label) in enumerate(rows):
        for c, v in enumerate(values):
            if not math.isnan(v):
                continue
            if policy != 'ffill':
                raise DataError(f'{path}: missing value (row {k}); pass --missing ffill or --missing drop to accept gaps')
            if k == 0:
                raise DataError(f"{path}: missing first value (row 0); 'ffill' has no earlier value to repeat, use --missing drop")
            values[c] = rows[k - 1][0][c]
    return rows


def _member(path, sid, rows, policy, dated):
    rows = apply_missing(path, rows, policy)
    times = [parse_date(label) for _, label in rows] if dated else None
    for k in range(1, len(rows) if dated else 0):
        if not times[k] > times[k - 1]:
            raise DataError(f'{path}: dates must increase, got {rows[k][1]} after {rows[k - 1][1]}')
    return {'id': sid, 'target': [v[0] for v, _ in rows], 'covariates': [v[1:] for v, _ in rows],
            'index': [label for _, label in rows] if dated else None, 'times': times}


def read_series(path, s):
    """The members of a forecaster's data file: one series, or one per id of its series column.

    s is config.json's series: the target and covariate columns, the date and series columns
    and the missing-value policy are read from it."""
    columns = [s['target']] + s['covariates']
    reader = read_table(path)
    header = next(reader)
    picks = [_column(header, c, path, 'feature') for c in columns]
    date_at = _column(header, s['dateColumn'], path, 'date') if s['dateColumn'] else None
    id_at = _column(header, s['seriesColumn'], path, 'series') if s['seriesColumn'] else None
    groups = {}
    for k, row in enumerate(reader):
        values = [parse_cell(row[p], f'{path}: data row {k + 1}, column {c}') for p, c in zip(picks, columns)]
        label = js_trim(row[date_at]) if date_at is not None else None
        groups.setdefault(js_trim(row[id_at]) if id_at is not None else None, []).append((float32(values), label))
    if not groups:
        raise DataError(f'{path}: no data rows after the header')
    policy = s.get('missing', 'error')
    return [_member(path, sid, rows, policy, date_at is not None) for sid, rows in groups.items()]


# --- split, transform, scaling -----------------------------------------------------------------

def first_origin(s):
    """The first origin with a full input window (the transform reads rows before it)."""
    return s['lookback'] + _context(s['transform'])


def split_rows(member, split):
    """(first validation row, first test row) of a member from the split kioku recorded."""
    def at(point):
        if 'row' in point:
            return min(point['row'], len(member['target']))
        t = parse_date(point['date'])
        return next((i for i, v in enumerate(member['times']) if v >= t), len(member['times']))
    return at(split['valFrom']), at(split['testFrom'])


def encode_targets(t, y, end, horizon):
    """The transformed targets y[end, end + horizon) (kioku's encodeTargets)."""
    anchor = y[end - 1]
    return [_transformed(t, y, i, anchor) for i in range(end, end + horizon)]


def standardise(values, centre=None):
    total = 0.0
    for v in values:
        total += v
    mean = total / len(values) if centre is None else centre
    sq = 0.0
    for v in values:
        sq += (v - mean) ** 2
    std = math.sqrt(sq / len(values))
    return {'mean': mean, 'std': std if std > 0 else 1}


def _no_change(t):
    """The centre of a transformed target: no change (0, or 1 for a ratio); levels: their mean."""
    if t['kind'] == 'none':
        return None
    return 1 if t['kind'] == 'window' and t['mode'] == 'ratio' else 0


def fit_scaling(s, member, train_end):
    """The target's standardisation on the transformed training targets, each covariate's on its rows."""
    t, first, y = s['transform'], first_origin(s), member['target']
    if t['kind'] == 'window':
        targets = [v for o in range(first, train_end) for v in encode_targets(t, y, o, 1)]
    else:
        targets = encode_targets(t, y, first, train_end - first)
    covariates = [standardise([member['covariates'][r][c] for r in range(train_end)])
                  for c in range(len(s['covariates']))]
    return {'target': standardise(targets, _no_change(t)), 'covariates': covariates}


def scaling_end(s, member, val, test):
    """The training rows a member is scaled on; one too short to train on is scaled on all before its test split."""
    first = first_origin(s)
    end = val if val > first else max(first + 1, test)
    return min(end, len(member['target']))


def origins_in(ranges, horizon, first):
    """(member, origin) of every window whose rows [o, o + horizon) lie in its member's [from, to)."""
    return [(m, o) for m, (lo, hi) in enumerate(ranges) for o in range(max(lo, first), hi - horizon + 1)]


# --- windows -----------------------------------------------------------------------------------

def encode_inputs(s, scaling, member, calendar, end):
    """The encoded window of rows [end - lookback, end): target, covariates, calendar per step."""
    L, C = s['lookback'], len(s['covariates'])
    target = encode_window(s['transform'], member['target'], end, L)
    ts, cs = scaling['target'], scaling['covariates']
    rows = []
    for k in range(L):
        r = end - L + k
        row = [(target[k] - ts['mean']) / ts['std']]
        row += [(member['covariates'][r][c] - cs[c]['mean']) / cs[c]['std'] for c in range(C)]
        rows.append(row + calendar[r])
    return rows


def encode_outputs(s, scaling, y, end):
    ts = scaling['target']
    return [(v - ts['mean']) / ts['std'] for v in encode_targets(s['transform'], y, end, s['horizon'])]


class SeriesWindows(torch.utils.data.Dataset):
    """The windows of (member, origin) pairs, encoded once: inputs (N, L, F) and targets (N, H), float32."""

    def __init__(self, s, members, scalings, calendars, at):
        self.s, self.members, self.scalings, self.at = s, members, scalings, at
        inputs = [encode_inputs(s, scalings[m], members[m], calendars[m], o) for m, o in at]
        outputs = [encode_outputs(s, scalings[m], members[m]['target'], o) for m, o in at]
        width = 1 + len(s['covariates']) + 2 * len(s['calendar'])
        self.inputs = torch.tensor(inputs, dtype=torch.float32).reshape(len(at), s['lookback'], width)
        self.targets = torch.tensor(outputs, dtype=torch.float32).reshape(len(at), s['horizon'])

    def __len__(self):
        return len(self.at)

    def __getitem__(self, i):
        return i

    def collate(self, items):
        idx = torch.tensor(items, dtype=torch.long)
        return self.inputs[idx], self.targets[idx], idx

    def step_weights(self):
        """kioku's loss weight per step: the inverse of the naive forecast's error there, averaging 1."""
        s, H = self.s, self.s['horizon']
        need = max(1, _context(s['transform']))
        sums = [0.0] * H
        for i, (m, o) in enumerate(self.at):
            history = self.members[m]['target'][o - need:o]
            naive = float32(encode_outputs(s, self.scalings[m], history + [history[-1]] * H, need))
            for k in range(H):
                sums[k] += (float(self.targets[i, k]) - naive[k]) ** 2
        inverse = [len(self.at) / v if v > 0 else 1 for v in sums]
        mean = sum(inverse) / H
        return torch.tensor([w / mean for w in inverse], dtype=torch.float32)

    def decode(self, outputs, idx):
        """Forecasts (in the target's units) and actual values of the windows idx, from the network's outputs."""
        s, H = self.s, self.s['horizon']
        need = max(1, _context(s['transform']))
        predicted, actual = [], []
        for row, i in zip(outputs.tolist(), idx.tolist()):
            m, o = self.at[i]
            y, ts = self.members[m]['target'], self.scalings[m]['target']
            predicted.append(decode_forecast(s['transform'], y[o - need:o], [v * ts['std'] + ts['mean'] for v in row]))
            actual.append(y[o:o + H])
        return predicted, actual


class SeriesData:
    """A forecaster's data as kioku trains on it: the members read, split, scaled and windowed."""

    def __init__(self, path, s):
        self.s = s
        self.members = read_series(path, s)
        ids = [m['id'] for m in s['members']]
        if [m['id'] for m in self.members] != ids:
            raise DataError(f'{path}: series {[m["id"] for m in self.members]} differ from the model\'s {ids}')
        self.splits = [split_rows(m, s['split']) for m in self.members]
        self.scalings = [fit_scaling(s, m, scaling_end(s, m, v, t)) for m, (v, t) in zip(self.members, self.splits)]
        if s['calendar'] and any(m['times'] is None for m in self.members):
            raise DataError(f'{path}: the model reads calendar features from the dates, but the data has no date column')
        self.calendars = [[calendar_row(s['calendar'], t) for t in m['times']] if s['calendar']
                          else [[] for _ in m['target']] for m in self.members]

    def windows(self, part):
        """The train, val or test windows: the test ones forecast series.steps rows, the others the network's horizon."""
        first, s = first_origin(self.s), self.s
        bounds = {'train': lambda v, t, n: (0, v), 'val': lambda v, t, n: (v, t), 'test': lambda v, t, n: (t, n)}[part]
        ranges = [bounds(v, t, len(m['target'])) for m, (v, t) in zip(self.members, self.splits)]
        at = origins_in(ranges, s['steps'] if part == 'test' else s['horizon'], first)
        return SeriesWindows(s, self.members, self.scalings, self.calendars, at)

    def tail(self, member):
        """The last lookback + context rows, as config.json keeps them for forecasts without data."""
        keep = first_origin(self.s)
        return {'index': member['index'][-keep:] if member['index'] else None,
                'target': member['target'][-keep:],
                'covariates': [v for row in member['covariates'][-keep:] for v in row]}
`;

/** data.py of a forecaster's project. */
export const SERIES_DATA_PY = SERIES_HEADER + COMMON_PY + SERIES_PY;
