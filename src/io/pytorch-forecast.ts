/**
 * The forecasting half of an exported forecaster's model.py: the `series` settings of its
 * config.json as JSON, and Python that applies them exactly as kioku's recipes do (the
 * standardisation, the target transform and its inverse, calendar features from the dates,
 * the dates after the data, forecasts fed back beyond the network's horizon, and the
 * calibrated intervals). `Forecaster(load_model()).forecast()` continues the training data;
 * `forecast(target=…, covariates=…, dates=…)` continues other data.
 */

const PYTHON = `DAY_MS = 86_400_000
EPOCH = datetime(1970, 1, 1)
_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august',
           'september', 'october', 'november', 'december']
_ISO = re.compile(r'^(\\d{4})([-/])(\\d{1,2})\\2(\\d{1,2})(?:[T ](\\d{1,2}):(\\d{2})(?::(\\d{2}(?:\\.\\d+)?))?(?:Z|[+-]\\d{2}:?\\d{2})?)?$')


def _ms(d):
    return (d - EPOCH) // timedelta(milliseconds=1)


def _date(ms):
    return EPOCH + timedelta(milliseconds=ms)


def _month_index(name):
    lower = name.lower()
    for i, full in enumerate(_MONTHS):
        if lower in (full, full[:3]):
            return i + 1
    return 0


def _build(year, month, day, h=0, mi=0, sec=0.0):
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ValueError(f'not a date: {year}-{month}-{day}')
    return _ms(datetime(year, month, day, h, mi)) + round(sec * 1000)


def parse_date(text):
    """Wall-clock milliseconds of a date in the forms kioku reads (ISO, 2015-03, 2015-Q2, 2015, Mar 1 2015)."""
    s = str(text).strip()
    m = _ISO.match(s)
    if m:
        return _build(int(m[1]), int(m[3]), int(m[4]), int(m[5] or 0), int(m[6] or 0), float(m[7] or 0))
    for pattern, make in (
        (r'^(\\d{4})-(\\d{1,2})$', lambda m: _build(int(m[1]), int(m[2]), 1)),
        (r'^(\\d{4})-?[Qq]([1-4])$', lambda m: _build(int(m[1]), 3 * int(m[2]) - 2, 1)),
        (r'^(\\d{4})$', lambda m: _build(int(m[1]), 1, 1)),
        (r'^([A-Za-z]{3,9})\\.? (\\d{1,2}),? (\\d{4})$', lambda m: _build(int(m[3]), _month_index(m[1]), int(m[2]))),
        (r'^(\\d{1,2}) ([A-Za-z]{3,9})\\.?,? (\\d{4})$', lambda m: _build(int(m[3]), _month_index(m[2]), int(m[1]))),
    ):
        m = re.match(pattern, s)
        if m:
            return make(m)
    raise ValueError(f'unparseable date {s!r}')


def format_date(ms, with_time):
    d = _date(ms)
    if not with_time:
        return d.strftime('%Y-%m-%d')
    return d.strftime('%Y-%m-%dT%H:%M') + (d.strftime(':%S') if d.second else '')


def _add_months(ms, months):
    d = _date(ms)
    month_end = d.day == calendar.monthrange(d.year, d.month)[1]
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    day = last if month_end else min(d.day, last)
    return _ms(datetime(year, month + 1, day, d.hour, d.minute, d.second))


def future_times(times, frequency, count):
    """The count times after the last one, one step of the frequency apart (kioku's futureTimes)."""
    out, t = [], times[-1]
    months = {'monthly': 1, 'quarterly': 3, 'yearly': 12}.get(frequency['frequency'])
    for _ in range(count):
        if months is not None:
            t = _add_months(t, months)
        elif frequency['frequency'] == 'business-daily':
            t += DAY_MS
            while _date(t).weekday() >= 5:
                t += DAY_MS
        else:
            t += frequency['step']
        out.append(t)
    return out


def _phase(feature, ms):
    d = _date(ms)
    if feature == 'hour-of-day':
        return (d.hour + d.minute / 60) / 24
    if feature == 'day-of-week':
        return d.weekday() / 7
    if feature == 'month':
        return (d.month - 1) / 12
    start = _ms(datetime(d.year, 1, 1))
    days = (_ms(datetime(d.year + 1, 1, 1)) - start) / DAY_MS
    return math.floor((ms - start) / DAY_MS) / days


def calendar_row(features, ms):
    row = []
    for f in features:
        angle = 2 * math.pi * _phase(f, ms)
        row += [math.sin(angle), math.cos(angle)]
    return row


def _context(t):
    return {'difference': 1, 'log-difference': 1, 'seasonal-difference': t.get('period', 0)}.get(t['kind'], 0)


def _transformed(t, y, i, anchor):
    kind = t['kind']
    if kind == 'none':
        return y[i]
    if kind == 'difference':
        return y[i] - y[i - 1]
    if kind == 'log-difference':
        return math.log(y[i]) - math.log(y[i - 1])
    if kind == 'seasonal-difference':
        return y[i] - y[i - t['period']]
    return y[i] / anchor if t['mode'] == 'ratio' else y[i] - anchor


def encode_window(t, y, end, length):
    """The transformed input window y[end - length, end) (kioku's encodeWindow)."""
    anchor = y[end - 1]
    return [_transformed(t, y, i, anchor) for i in range(end - length, end)]


def decode_forecast(t, history, predicted):
    """Transformed predictions for the steps after history back to values (kioku's decodeForecast)."""
    kind, last, out = t['kind'], history[-1], []
    level = math.log(last) if kind == 'log-difference' else last
    for k, p in enumerate(predicted):
        if kind == 'none':
            out.append(p)
        elif kind == 'difference':
            level += p
            out.append(level)
        elif kind == 'log-difference':
            level += p
            out.append(math.exp(level))
        elif kind == 'seasonal-difference':
            m = t['period']
            out.append((history[len(history) - m + k] if k < m else out[k - m]) + p)
        else:
            out.append(last * p if t['mode'] == 'ratio' else last + p)
    return out


class Forecaster:
    """The network with kioku's encoding around it: raw values in, forecasts out."""

    def __init__(self, model, series=SERIES):
        self.model = model.eval()
        self.s = series

    def member(self, series_id=None):
        for m in self.s['members']:
            if m['id'] == series_id:
                return m
        raise ValueError(f'unknown series {series_id!r}; the model knows {[m["id"] for m in self.s["members"]]}')

    def _window(self, m, y, cov, cal, end):
        s, sc = self.s, m['scaling']
        L, C = s['lookback'], len(s['covariates'])
        target = encode_window(s['transform'], y, end, L)
        rows = []
        for k in range(L):
            r = end - L + k
            row = [(target[k] - sc['target']['mean']) / sc['target']['std']]
            row += [(cov[r][c] - sc['covariates'][c]['mean']) / sc['covariates'][c]['std'] for c in range(C)]
            rows.append(row + cal[r])
        return torch.tensor([rows], dtype=torch.float32)

    def forecast(self, target=None, covariates=None, dates=None, steps=None, series=None):
        """The next steps values after target (default: the training data's end) with the intervals.

        target: raw values, oldest first; covariates: one row of raw covariate values per value;
        dates: one date per value (needed for calendar features and the forecast's dates)."""
        s = self.s
        m = self.member(series)
        if target is None:
            target, covariates, dates = m['tail']['target'], None, m['tail']['index']
            C = len(s['covariates'])
            covariates = [m['tail']['covariates'][r * C:(r + 1) * C] for r in range(len(target))]
        steps = steps or s['season']
        y = [float(v) for v in target]
        n = len(y)
        cov = [list(map(float, row)) for row in (covariates or [[] for _ in y])]
        times = [parse_date(d) for d in dates] if dates is not None else None
        future = future_times(times, s['frequency'], steps) if times and s['frequency'] else None
        cal = [calendar_row(s['calendar'], t) for t in (times or []) + (future or [])] if times else [[]] * (n + steps)
        need = s['lookback'] + _context(s['transform'])
        if n < need:
            raise ValueError(f'the model reads {need} values, got {n}')
        if s['calendar'] and times is None:
            raise ValueError('the model reads calendar features: pass dates')
        tsc = m['scaling']['target']
        values = []
        while len(values) < steps:
            ext = y + values
            rows = cov + [cov[-1]] * len(values)
            with torch.no_grad():
                out = self.model(self._window(m, ext, rows, cal, n + len(values)))[0].tolist()
            decoded = decode_forecast(s['transform'], ext, [v * tsc['std'] + tsc['mean'] for v in out])
            values += decoded[:steps - len(values)]
        iv = s['intervals']
        band = lambda side, k: values[k] + iv[side][k] * m['unit'] if iv and k < len(iv[side]) else None
        with_time = bool(s['frequency']) and s['frequency']['step'] % DAY_MS != 0
        return {
            'dates': [format_date(t, with_time) for t in future] if future else None,
            'forecast': values,
            'lower': [band('lower', k) for k in range(steps)],
            'upper': [band('upper', k) for k in range(steps)],
        }


def load_forecaster(path=None):
    """load_model(path) wrapped in a Forecaster."""
    return Forecaster(load_model(path))
`;

/** The Python of a forecaster's model.py after its module: SERIES, the encoding and Forecaster. */
export function forecastSource(series: unknown): string {
  // A JSON string literal is also a valid Python string literal.
  return `import calendar
import math
import re
from datetime import datetime, timedelta

SERIES = json.loads(${JSON.stringify(JSON.stringify(series))})


${PYTHON}`;
}
