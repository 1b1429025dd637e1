"""A statistical risk model trained on any table: WOE binning (optbinning) and a logistic-regression scorecard,
with a LightGBM challenger on the same WOE features that replaces the champion only when it wins the
cross-validation.

A model is plain JSON: bins, weights of evidence, coefficients (and LightGBM's own text format for a challenger).
Loading one runs no code, and scoring is a few vectorised operations per feature, so the batch scores a million
loans in a fraction of a second. optbinning, scikit-learn and LightGBM are imported only to train.

Conventions (the model page and `docs/model-validation.md` use them):
- WOE is in the direction of risk: w = ln(event share of the bin / non-event share), smoothed by ½, so a bin
  riskier than the population has w > 0; missing values form their own bin; an unseen category scores w = 0.
- score = 500 + 50 / ln 2 × log-odds, clipped to 0–1000: higher is riskier, +50 points doubles the odds.
- Reasons are the features that pushed the log-odds up the most: β·w for the logistic model, LightGBM's own
  per-feature contributions for the challenger.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from arrears.core.errors import DomainError

FORMAT = "arrears-risk-model/1"
BASE_SCORE, PDO = 500, 50  # score at even odds; points to double the odds
FOLDS = 5
MIN_IV = 0.02  # features below this information value carry (almost) nothing and are left out
BINNING: dict[str, Any] = {}  # extra optbinning options
CHALLENGER_MARGIN = 0.005  # the challenger must beat the champion's cross-validated AUC by this much
REASON_COUNT = 3
NULLS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "-"]
ID_NAME = re.compile(r"(^|_)(id|no|number|rownames|index|key|uuid)$|^(id|rownames|index|unnamed: 0)$", re.I)
MAX_CATEGORIES = (
    100  # a text column with more distinct values than this (and than 20% of the rows) is free text
)


class ModelError(DomainError):
    code = "model_error"


@dataclass(frozen=True)
class Column:
    """How one input column is used: `numeric` or `categorical`, or ignored with the reason why."""

    name: str
    kind: str  # numeric | categorical | ignored
    reason: str = ""


# ---------------------------------------------------------------------------------------------------------- input


def read_table(path: Path | str) -> pl.DataFrame:
    """A CSV file as all-text columns (types are decided by `detect_columns`, not guessed by the reader)."""
    try:
        return pl.read_csv(path, infer_schema=False, null_values=NULLS, encoding="utf8-lossy")
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: no such file") from exc
    except pl.exceptions.PolarsError as exc:
        raise ModelError(f"{path}: not a readable CSV file ({exc})") from exc


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars())
    return frame.with_columns(pl.when(pl.all().is_in(NULLS)).then(None).otherwise(pl.all()).name.keep())


def detect_columns(frame: pl.DataFrame, exclude: Sequence[str] = ()) -> list[Column]:
    """Numeric and categorical columns, and the ones to ignore (identifiers, free text, constants). A column
    that is mostly numbers but holds some text is an error naming the first bad values: a silent guess there
    would train on junk."""
    frame = _as_text(frame)
    rows = frame.height
    columns = []
    for name in frame.columns:
        if name in exclude:
            continue
        text = frame[name]
        present = text.drop_nulls()
        distinct = present.n_unique()
        if distinct <= 1:
            columns.append(Column(name, "ignored", "constant" if distinct else "empty"))
            continue
        numbers = present.str.replace_all(",", "").cast(pl.Float64, strict=False)
        bad = numbers.is_null() | numbers.is_nan()
        share = 1 - bad.mean()  # type: ignore[operator]
        if share == 1:
            if ID_NAME.search(name) and distinct == present.len():
                columns.append(Column(name, "ignored", "identifier"))
            else:
                columns.append(Column(name, "numeric"))
        elif share >= 0.9:
            values = present.filter(bad).unique(maintain_order=True).head(3).to_list()
            raise ModelError(
                f"column {name}: {bad.sum()} of {present.len()} values are not numbers (e.g. "
                + ", ".join(repr(v) for v in values)
                + "); fix or remove them, or drop the column"
            )
        elif ID_NAME.search(name) and distinct == present.len():
            columns.append(Column(name, "ignored", "identifier"))
        elif distinct > max(MAX_CATEGORIES, rows // 5):
            columns.append(Column(name, "ignored", f"free text ({distinct} distinct values)"))
        else:
            columns.append(Column(name, "categorical"))
    return columns


def target_vector(frame: pl.DataFrame, target: str, positives: Sequence[str]) -> np.ndarray:
    """1 where the target is one of `positives`, 0 elsewhere; rows with no target are refused (say which)."""
    if target not in frame.columns:
        raise ModelError(f"no column {target!r} in the file (columns: {', '.join(frame.columns)})")
    values = _as_text(frame.select(target))[target]
    missing = values.is_null()
    if missing.any():
        rows = (missing.arg_true() + 2).head(5).to_list()  # file line numbers (header is line 1)
        raise ModelError(f"target {target!r} is empty on {missing.sum()} row(s), e.g. lines {rows}")
    wanted = [str(p).strip() for p in positives]
    y = values.is_in(wanted).to_numpy().astype(np.int8)
    if frame.height < 2:
        raise ModelError(f"{frame.height} row(s): a model needs many rows with both outcomes")
    if y.min() == y.max():
        seen = values.unique().sort().head(10).to_list()
        which = "every" if y.min() else "no"
        raise ModelError(
            f"target {target!r}: {which} row is positive ({', '.join(wanted)}); the values are {seen}. "
            "A model needs both outcomes."
        )
    smaller = int(min(y.sum(), len(y) - y.sum()))
    if smaller < FOLDS:
        raise ModelError(f"target {target!r}: only {smaller} row(s) of one outcome; need at least {FOLDS}")
    return y


# --------------------------------------------------------------------------------------------------------- binning


def _numeric(frame: pl.DataFrame, name: str) -> np.ndarray:
    if frame.schema[name].is_numeric() or frame.schema[name] == pl.Boolean:
        return (
            frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        )  # the batch's frames: no text round trip
    text = _as_text(frame.select(name))[name]
    numbers = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    junk = numbers.is_null() & text.is_not_null()
    if junk.any():
        values = text.filter(junk).unique(maintain_order=True).head(3).to_list()
        rows = (junk.arg_true() + 2).head(3).to_list()  # file lines (the header is line 1)
        raise ModelError(
            f"column {name}: {junk.sum()} value(s) are not numbers, e.g. {', '.join(map(repr, values))} "
            f"(lines {', '.join(map(str, rows))}); the model needs numbers there"
        )
    return numbers.to_numpy()


def _categories(frame: pl.DataFrame, name: str) -> pl.Series:
    return _as_text(frame.select(name))[name]


def bin_index(feature: dict[str, Any], frame: pl.DataFrame) -> np.ndarray:
    """Each row's bin: 0…k−1 the feature's bins, k missing, k + 1 an unseen category."""
    bins = len(feature["bins"])
    if feature["kind"] == "numeric":
        x = _numeric(frame, feature["name"])
        index = np.searchsorted(np.asarray(feature["splits"], dtype=float), x, side="right")
        return np.where(np.isnan(x), bins, index)
    mapping = {category: i for i, group in enumerate(feature["groups"]) for category in group}
    values = _categories(frame, feature["name"])
    index = values.replace_strict(mapping, default=bins + 1, return_dtype=pl.Int64).to_numpy()
    return np.where(values.is_null().to_numpy(), bins, index)


def woe_table(index: np.ndarray, y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Counts per bin (bins + missing) and the smoothed WOE of each (0 where a bin is empty), and the IV."""
    events = np.bincount(index, weights=y, minlength=bins + 2)[: bins + 1]
    counts = np.bincount(index, minlength=bins + 2)[: bins + 1].astype(float)
    non_events = counts - events
    event_share = (events + 0.5) / (events.sum() + 0.5)
    non_event_share = (non_events + 0.5) / (non_events.sum() + 0.5)
    woe = np.where(counts > 0, np.log(event_share / non_event_share), 0.0)
    iv = float(np.sum(np.where(counts > 0, (event_share - non_event_share) * woe, 0.0)))
    return counts, woe, iv


def fit_feature(frame: pl.DataFrame, column: Column, y: np.ndarray) -> dict[str, Any] | None:
    """Optimal bins for one column (optbinning, monotonic where the data allows), with their WOE and labels."""
    from optbinning import OptimalBinning

    if column.kind == "numeric":
        x: Any = _numeric(frame, column.name)
        binning = OptimalBinning(
            column.name, dtype="numerical", solver="cp", monotonic_trend="auto_asc_desc", **BINNING
        )
    else:
        x = _categories(frame, column.name).to_numpy().astype(object)
        binning = OptimalBinning(column.name, dtype="categorical", solver="cp", **BINNING)
    try:
        binning.fit(x, y)
    except (ValueError, TypeError) as exc:
        return {"name": column.name, "error": str(exc)}
    feature: dict[str, Any] = {"name": column.name, "kind": column.kind}
    if column.kind == "numeric":
        splits = [float(s) for s in binning.splits]
        feature["splits"] = splits
        edges = ["-inf", *(_number(s) for s in splits), "inf"]
        feature["bins"] = [f"[{edges[i]}, {edges[i + 1]})" for i in range(len(splits) + 1)]
    else:
        groups = [sorted(str(c) for c in group) for group in binning.splits]
        feature["groups"] = groups
        feature["bins"] = [
            ", ".join(group) if len(group) <= 4 else f"{', '.join(group[:4])}, …" for group in groups
        ]
    index = bin_index(feature, frame)
    counts, woe, iv = woe_table(index, y, len(feature["bins"]))
    feature["woe"] = [round(float(w), 6) for w in woe]  # bins, then missing
    feature["shares"] = [round(float(c / counts.sum()), 6) for c in counts]  # the reference for PSI
    feature["iv"] = round(iv, 6)
    return feature


def _number(value: float) -> str:
    return f"{value:.6g}"


def woe_lookup(feature: dict[str, Any]) -> np.ndarray:
    """The WOE of each bin number `bin_index` gives: the bins', the missing bin's, then 0 for an unseen category.
    The one place the bins become the model's inputs: training, `score_frame` and the batch all go through it."""
    return np.append(np.asarray(feature["woe"], dtype=float), 0.0)


def woe_values(features: Sequence[dict[str, Any]], index: np.ndarray) -> np.ndarray:
    """Rows × features of WOE values for a rows × features matrix of bin numbers (`bin_index`)."""
    out = np.empty(index.shape)
    for j, feature in enumerate(features):
        out[:, j] = woe_lookup(feature)[index[:, j]]
    return out


def woe_matrix(features: Sequence[dict[str, Any]], frame: pl.DataFrame) -> np.ndarray:
    """Rows × features of WOE values (missing → the missing bin's WOE, unseen category → 0)."""
    missing = [f["name"] for f in features if f["name"] not in frame.columns]
    if missing:
        raise ModelError(f"the file lacks column(s) the model needs: {', '.join(missing)}")
    out = np.empty((frame.height, len(features)))
    for j, feature in enumerate(features):
        out[:, j] = woe_lookup(feature)[bin_index(feature, frame)]
    return out


# -------------------------------------------------------------------------------------------------------- metrics


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, KS (largest gap between the cumulative event and non-event shares), Gini = 2·AUC − 1, Brier."""
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(y, p))
    fpr, tpr, _ = roc_curve(y, p)
    return {
        "auc": round(auc, 4),
        "ks": round(float(np.max(tpr - fpr)), 4),
        "gini": round(2 * auc - 1, 4),
        "brier": round(float(np.mean((p - y) ** 2)), 4),
    }


def calibration(y: np.ndarray, p: np.ndarray, groups: int = 10) -> list[dict[str, float]]:
    """Mean predicted vs observed rate in `groups` equal-sized groups by predicted probability."""
    order = np.argsort(p, kind="stable")
    return [
        {
            "predicted": round(float(p[part].mean()), 4),
            "observed": round(float(y[part].mean()), 4),
            "rows": len(part),
        }
        for part in np.array_split(order, groups)
        if len(part)
    ]


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index Σ (a − e)·ln(a / e) over bins, shares floored at 0.0001 so that an empty bin
    counts without dividing by zero. Below 0.1 stable, 0.1–0.25 shifting, above 0.25 shifted."""
    e = np.maximum(np.asarray(expected, dtype=float), 1e-4)
    a = np.maximum(np.asarray(actual, dtype=float), 1e-4)
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def shares(index: np.ndarray, bins: int) -> list[float]:
    """The share of the rows in each of `bins` bins, from each row's bin number."""
    return count_shares(np.bincount(index, minlength=bins)[:bins])


def count_shares(counts: Sequence[int] | np.ndarray) -> list[float]:
    """Counts as shares of their total, rounded to 6 places (all 0 without any): training's reference shares and
    what the close saw (`services.record_monitor`) are rounded alike, so that their PSI compares like with
    like."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return [round(float(c / total), 6) if total else 0.0 for c in counts]


# ------------------------------------------------------------------------------------------------------- training


def _fit_logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """L2-regularised. Its strength follows the one-standard-error rule on an inner 5-fold log-loss: the strongest
    regularisation whose inner log-loss is within one standard error of the best (few positives and many
    features overfit, and the best inner score is itself noisy)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedKFold

    strengths = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]  # C, from the strongest regularisation to the weakest
    losses = np.empty((FOLDS, len(strengths)))
    inner = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for i, (fit_rows, check_rows) in enumerate(inner.split(x, y)):
        for j, c in enumerate(strengths):
            model = LogisticRegression(C=c, max_iter=2000).fit(x[fit_rows], y[fit_rows])
            losses[i, j] = log_loss(y[check_rows], model.predict_proba(x[check_rows])[:, 1], labels=[0, 1])
    mean, error = losses.mean(axis=0), losses.std(axis=0) / math.sqrt(FOLDS)
    best = int(np.argmin(mean))
    chosen = next(c for c, m in zip(strengths, mean, strict=True) if m <= mean[best] + error[best])
    model = LogisticRegression(C=chosen, max_iter=2000).fit(x, y)
    return float(model.intercept_[0]), model.coef_[0].astype(float)


def _fit_lightgbm(x: np.ndarray, y: np.ndarray, seed: int) -> Any:
    import lightgbm

    model = lightgbm.LGBMClassifier(
        n_estimators=300,
        learning_rate=0.03,
        num_leaves=8,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        reg_lambda=1.0,
        random_state=seed,
        n_jobs=1,  # 2 threads ran 500× slower here (OpenMP beside Polars' and Numba's pools); the data is small
        verbose=-1,
    )
    model.fit(x, y)
    return model


def _bin_all(
    frame: pl.DataFrame, columns: Sequence[Column], y: np.ndarray
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The features worth keeping, and the columns left out with the reason why."""
    kept, left_out = [], []
    for column in columns:
        if column.kind == "ignored":
            continue
        feature = fit_feature(frame, column, y)
        if feature is None or "error" in feature:
            reason = f"could not be binned ({feature['error'] if feature else 'no bins'})"
        elif len(feature["bins"]) < 2:
            reason = "one bin: no split separates the outcomes"
        elif feature["iv"] < MIN_IV:
            reason = f"information value {feature['iv']:.4f} < {MIN_IV}"
        else:
            kept.append(feature)
            continue
        left_out.append({"column": column.name, "reason": reason})
    return kept, left_out


def cross_validate(
    frame: pl.DataFrame,
    columns: Sequence[Column],
    y: np.ndarray,
    *,
    folds: int = FOLDS,
    seed: int = 0,
    challenger: bool = True,
) -> dict[str, Any]:
    """Stratified k-fold: the binning and the models are refitted inside every fold, so nothing of a test fold
    leaks into its model. Returns each model's metrics on the pooled out-of-fold predictions, the mean and
    spread of the per-fold AUC and KS, and the out-of-fold predictions themselves. `challenger`: LightGBM too."""
    from sklearn.model_selection import StratifiedKFold

    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    champion = np.zeros(len(y))
    boosted = np.zeros(len(y))
    per_fold: dict[str, list[dict[str, float]]] = {"logistic": [], "lightgbm": []}
    for train_rows, test_rows in split.split(np.zeros(len(y)), y):
        train, test = frame[train_rows], frame[test_rows]
        features, _left_out = _bin_all(train, columns, y[train_rows])
        if not features:
            champion[test_rows] = boosted[test_rows] = y[train_rows].mean()
            continue
        x_train, x_test = woe_matrix(features, train), woe_matrix(features, test)
        intercept, coef = _fit_logistic(x_train, y[train_rows])
        champion[test_rows] = _sigmoid(intercept + x_test @ coef)
        per_fold["logistic"].append(metrics(y[test_rows], champion[test_rows]))
        if challenger:
            boosted[test_rows] = _fit_lightgbm(x_train, y[train_rows], seed).predict_proba(x_test)[:, 1]
            per_fold["lightgbm"].append(metrics(y[test_rows], boosted[test_rows]))
    result: dict[str, Any] = {"folds": folds, "seed": seed}
    predictions = {"logistic": champion} | ({"lightgbm": boosted} if challenger else {})
    for name, p in predictions.items():
        folds_of = per_fold[name]
        result[name] = metrics(y, p) | {
            f"fold_{key}_{stat.__name__}": round(float(stat([m[key] for m in folds_of])), 4)
            for key in ("auc", "ks")
            for stat in (np.mean, np.std)
            if folds_of
        }
    result["predictions"] = predictions
    return result


def train(
    frame: pl.DataFrame,
    target: str,
    positives: Sequence[str],
    *,
    drop: Sequence[str] = (),
    folds: int = FOLDS,
    seed: int = 0,
    source: str = "",
    challenger: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train on `frame` and return the model (JSON-ready) and the cross-validation with out-of-fold predictions.
    The champion is the WOE logistic regression; the LightGBM challenger replaces it when its cross-validated AUC
    is higher by at least CHALLENGER_MARGIN."""
    unknown = [c for c in drop if c not in frame.columns]
    if unknown:
        raise ModelError(f"cannot drop unknown column(s): {', '.join(unknown)}")
    y = target_vector(frame, target, positives)
    columns = detect_columns(frame, exclude=[target, *drop])
    if not any(c.kind != "ignored" for c in columns):
        raise ModelError("no usable feature: every column is an identifier, free text, constant or empty")
    cv = cross_validate(frame, columns, y, folds=folds, seed=seed, challenger=challenger)
    features, left_out = _bin_all(frame, columns, y)
    if not features:
        raise ModelError("no feature separates the outcomes (every information value is below 0.02)")
    x = woe_matrix(features, frame)
    intercept, coef = _fit_logistic(x, y)
    for feature, beta in zip(features, coef, strict=True):
        feature["coefficient"] = round(float(beta), 6)
    wins = challenger and cv["lightgbm"]["auc"] >= cv["logistic"]["auc"] + CHALLENGER_MARGIN
    model: dict[str, Any] = {
        "format": FORMAT,
        "kind": "lightgbm" if wins else "logistic",
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "target": target,
        "positive": list(positives),
        "intercept": round(intercept, 6),
        "scaling": {"base": BASE_SCORE, "pdo": PDO},
        "features": features,
        "ignored": [{"column": c.name, "reason": c.reason} for c in columns if c.kind == "ignored"]
        + [{"column": c, "reason": "dropped"} for c in drop]
        + left_out,
        "training": {
            "source": source,
            "rows": len(y),
            "positives": int(y.sum()),
            "positive_rate": round(float(y.mean()), 4),
            "columns": frame.width,
        },
        "cv": {k: v for k, v in cv.items() if k != "predictions"},
    }
    if wins:
        model["lightgbm"] = _fit_lightgbm(x, y, seed).booster_.model_to_string()
    scored = score_frame(model, frame)
    edges = np.unique(np.quantile(scored["score"].to_numpy(), np.linspace(0, 1, 11)[1:-1]))
    model["score_bins"] = {
        "edges": [float(e) for e in edges],
        "shares": shares(np.searchsorted(edges, scored["score"].to_numpy(), side="right"), len(edges) + 1),
    }
    model["training"]["in_sample"] = metrics(y, scored["probability"].to_numpy())
    return model, cv


def file_digest(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -------------------------------------------------------------------------------------------------------- scoring


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def check_model(model: dict[str, Any]) -> None:
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise ModelError(f"not an Arrears risk model (expected format {FORMAT})")


def _booster(model: dict[str, Any]) -> Any:
    import lightgbm

    return lightgbm.Booster(model_str=model["lightgbm"])


def log_odds(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """The log-odds of every row of the WOE matrix `x` (what the batch needs: no per-feature parts)."""
    if model["kind"] == "lightgbm":
        return np.asarray(_booster(model).predict(x, raw_score=True, num_threads=1))
    coef = np.array([f["coefficient"] for f in model["features"]])
    return np.asarray(model["intercept"] + x @ coef)


def contributions(model: dict[str, Any], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds of every row and each feature's share of it (rows × features). One thread for LightGBM: on
    two cores beside Polars' and Numba's pools, OpenMP's second thread made it hundreds of times slower."""
    if model["kind"] == "lightgbm":
        parts = np.asarray(_booster(model).predict(x, pred_contrib=True, num_threads=1))
        return parts.sum(axis=1), parts[:, :-1]
    coef = np.array([f["coefficient"] for f in model["features"]])
    parts = x * coef
    return model["intercept"] + parts.sum(axis=1), parts


def points(log_odds: np.ndarray, scaling: dict[str, int]) -> np.ndarray:
    """The 0–1000 score of each log-odds (higher is riskier)."""
    raw = scaling["base"] + scaling["pdo"] / math.log(2) * log_odds
    return np.clip(np.round(raw), 0, 1000).astype(np.int64)


def score_frame(model: dict[str, Any], frame: pl.DataFrame, *, reasons: int = REASON_COUNT) -> pl.DataFrame:
    """`probability` (of the positive class), `score` (0–1000) and `reasons` (the features that pushed the
    score up most, `name=bin`, `;`-separated) for every row of `frame`, in its order."""
    check_model(model)
    features = model["features"]
    x = woe_matrix(features, frame)
    log_odds, parts = contributions(model, x)
    return pl.DataFrame(
        {
            "probability": np.round(_sigmoid(log_odds), 6),
            "score": points(log_odds, model["scaling"]),
            "reasons": reason_texts(features, frame, parts, reasons),
        }
    )


def reason_texts(
    features: Sequence[dict[str, Any]], frame: pl.DataFrame, parts: np.ndarray, top: int
) -> list[str]:
    """The `top` features with the largest positive contribution per row, as `name=bin label`."""
    if not features:
        return [""] * frame.height
    labels = [f["name"] + "=" + b for f in features for b in [*f["bins"], "missing", "unseen"]]
    offsets = np.cumsum([0] + [len(f["bins"]) + 2 for f in features])[:-1]
    flat = np.stack([bin_index(f, frame) for f in features], axis=1) + offsets
    order = np.argsort(-parts, axis=1, kind="stable")[:, :top]
    chosen = np.take_along_axis(flat, order, axis=1)
    positive = np.take_along_axis(parts, order, axis=1) > 0
    table = pl.Series(labels, dtype=pl.String)
    ranks = pl.DataFrame(
        {
            f"r{i}": table.gather(chosen[:, i]).zip_with(
                pl.Series(positive[:, i]), pl.Series([None], dtype=pl.String)
            )
            for i in range(chosen.shape[1])
        }
    )
    return ranks.select(pl.concat_str(pl.all(), separator="; ", ignore_nulls=True))[:, 0].to_list()


def feature_shares(model: dict[str, Any], frame: pl.DataFrame) -> dict[str, list[float]]:
    """The share of rows in each bin (bins + missing) of every feature, for PSI against the training shares."""
    return {
        f["name"]: shares(np.minimum(bin_index(f, frame), len(f["bins"])), len(f["bins"]) + 1)
        for f in model["features"]
    }


# ------------------------------------------------------------------------------------------- LightGBM as tables

ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float constant): |x| ≤ this counts as zero
CATEGORICAL_SPLIT, DEFAULT_LEFT = 1, 2  # decision_type bits; bits 2–3 hold the missing type
MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2


@dataclass(frozen=True)
class Forest:
    """A LightGBM booster over binned features as flat tables: every split node of every tree, numbered tree
    after tree, with the side each bin of its feature goes to. A row's raw score is the sum over the trees, in
    order and starting from 0.0 as LightGBM adds them, of the leaf its bins lead to. Leaves are numbered across
    the trees too and written ~leaf (negative) where a node or a root leads to one."""

    roots: np.ndarray  # int64 per tree: its first split node, or ~leaf for a tree of one leaf
    feature: np.ndarray  # int64 per split node: the column (feature) it splits on
    left: np.ndarray  # int64 per split node: where a row goes on the left (a node, or ~leaf)
    right: np.ndarray  # int64 per split node: where it goes on the right
    goes_left: np.ndarray  # uint8, split nodes × bins: 1 where a row in the bin goes left at the node
    leaf_value: np.ndarray  # float64 per leaf


def lightgbm_forest(model: dict[str, Any]) -> Forest | None:
    """The model's LightGBM booster as a `Forest` over the bin numbers of its features (`bin_index`), or None
    when the booster is not one this handles the same as LightGBM (categorical splits, linear trees, several
    classes, averaged output as random forests have): the caller predicts with LightGBM itself then.

    Every input of the booster is a WOE value, one per bin (`woe_lookup`), so each split decides a bin the same
    way for every row: the decision is made here once per (node, bin), by LightGBM's own rules, on the bin's
    WOE, and predicting is a walk over small integer tables with no floating-point comparison left in it. The
    sums are LightGBM's bit for bit. Built once per model (cached)."""
    return _forest(model["lightgbm"], tuple(tuple(woe_lookup(f).tolist()) for f in model["features"]))


@functools.lru_cache(maxsize=8)
def _forest(text: str, woe: tuple[tuple[float, ...], ...]) -> Forest | None:
    header, trees = _lightgbm_text(text)
    if (
        header.get("num_class", "1") != "1"
        or header.get("num_tree_per_iteration", "1") != "1"
        or "average_output" in header
    ):
        return None
    width = max((len(values) for values in woe), default=0)
    roots: list[int] = []
    leaf_values: list[float] = []
    feature: list[int] = []
    left: list[int] = []
    right: list[int] = []
    goes_left: list[np.ndarray] = []
    nodes = 0
    for tree in trees:
        leaves = int(tree["num_leaves"])
        if int(tree.get("num_cat", "0")) > 0 or tree.get("is_linear", "0") != "0":
            return None
        values = _numbers(tree["leaf_value"], float)
        if len(values) != leaves:
            return None
        leaf_base = len(leaf_values)
        leaf_values.extend(values)
        if leaves == 1:
            roots.append(~leaf_base)
            continue
        splits = _numbers(tree["split_feature"], int)
        thresholds = _numbers(tree["threshold"], float)
        decisions = _numbers(tree["decision_type"], int)
        children = [_numbers(tree["left_child"], int), _numbers(tree["right_child"], int)]
        if any(not 0 <= f < len(woe) for f in splits) or any(d & CATEGORICAL_SPLIT for d in decisions):
            return None
        roots.append(nodes)
        for f, threshold, decision, to_left, to_right in zip(
            splits, thresholds, decisions, *children, strict=True
        ):
            feature.append(f)
            left.append(_renumber(to_left, nodes, leaf_base))
            right.append(_renumber(to_right, nodes, leaf_base))
            row = np.zeros(width, dtype=np.uint8)
            row[: len(woe[f])] = [_goes_left(x, threshold, decision) for x in woe[f]]
            goes_left.append(row)
        nodes += len(splits)
    as_int = functools.partial(np.array, dtype=np.int64)
    return Forest(
        roots=as_int(roots),
        feature=as_int(feature),
        left=as_int(left),
        right=as_int(right),
        goes_left=np.array(goes_left, dtype=np.uint8).reshape(len(goes_left), width),
        leaf_value=np.array(leaf_values, dtype=np.float64),
    )


def _renumber(child: int, nodes: int, leaves: int) -> int:
    """A child in a tree's own numbering (a split node, or ~leaf) in the forest's, the tree's first split node
    and leaf being `nodes` and `leaves` there."""
    return nodes + child if child >= 0 else ~(leaves + ~child)


def _goes_left(x: float, threshold: float, decision: int) -> bool:
    """LightGBM's Tree::NumericalDecision for the value x, as its predictor sees it (a dense row of doubles, where
    a value within ZERO of 0 is 0)."""
    missing = (decision >> 2) & 3
    if math.isnan(x):
        if missing != MISSING_NAN:
            x = 0.0
    elif abs(x) <= ZERO:
        x = 0.0
    if (missing == MISSING_ZERO and -ZERO <= x <= ZERO) or (missing == MISSING_NAN and math.isnan(x)):
        return bool(decision & DEFAULT_LEFT)
    return x <= threshold


def _lightgbm_text(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """LightGBM's model text: the header's `key=value` lines (a bare key maps to ""), and each tree's."""
    header: dict[str, str] = {}
    trees: list[dict[str, str]] = []
    for line in text.splitlines():
        if line == "end of trees":
            break
        key, _, value = line.partition("=")
        if key == "Tree":
            trees.append({})
        elif key:
            (trees[-1] if trees else header)[key] = value
    return header, trees


def _numbers(text: str, kind: type) -> list[Any]:
    return [kind(v) for v in text.split()]
