"""Data drift: has a batch of new rows changed from the training rows, feature by feature?

Fixed thresholds (PSI > 0.1, p < 0.05 per feature) fire on small batches where nothing changed, flag
differences nobody should care about on large ones, and over twenty features raise a false alarm most
days. Here every verdict is calibrated and corrected:

- each feature's p-value comes from its statistic's distribution under no change *for these sample
  sizes*: two-sample Kolmogorov–Smirnov for numbers and timestamps (exact for small samples,
  asymptotic for large, conservative with ties), and for categories the chi-square statistic under
  the exact conditional (multivariate hypergeometric) null by Monte Carlo, valid at any size and
  costing O(draws × levels) rather than O(rows);
- all the hypotheses (one per feature, plus "the missing share changed" for a number with missing
  values) are one family, corrected by the weighted Benjamini–Hochberg procedure with weights from
  how much the model relies on each feature;
- a significant change counts as *drift* only when its effect also reaches a practical floor (a
  shift in reference standard deviations, or a Jensen–Shannon distance), so a real but tiny change on
  a million rows is reported as such.

"5% false alarms" is a statement about the reference and the batch both being samples of the same
population: it holds at 50 rows and at a million. PSI is reported for readers who know it and never
used for the verdict. Free text with at most `TEXT_LEVELS` different values in the reference is tested
as categories; longer free text is not tested (a note says so). Sentences are Markdown: column names
are code spans (`mlcore.markup.markdown_code`) and category levels escaped text.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlcore.errors import MLCoreError
from mlcore.formatting import number, percent, plural
from mlcore.markup import markdown_code, markdown_text

KINDS = ("numeric", "categorical", "boolean", "datetime", "text")
MISSING = "(missing)"  # missing values as a category level of their own
TEXT_LEVELS = 50  # free text with at most this many different values is tested as categories
MISSING_SHIFT = 0.05  # a significant change in the missing share counts as drift from 5 points on
PSI_BINS = 10
PSI_FLOOR = 1e-4  # a share below this counts as this in PSI, which an empty bin would make infinite
FEW_ROWS = 30  # below this many new rows the tests can see only large changes, and the report says so
MC_CELLS = 2_000_000  # Monte Carlo draws × levels held in memory at once
OUT_OF_RANGE = 0.01  # new rows outside the training range are mentioned from this share on

KS_TEST = "Kolmogorov–Smirnov"
CHI_SQUARE_TEST = "chi-square (exact conditional null, Monte Carlo)"
MISSING_TEST = "Fisher's exact test on the missing share"
NOT_TESTED = "not tested"
SHIFT = "shift (Wasserstein distance / reference standard deviation)"
JS_DISTANCE = "Jensen–Shannon distance"
_SHORT = {KS_TEST: "KS", CHI_SQUARE_TEST: "chi-square", MISSING_TEST: "missing-share"}


class DriftInputError(MLCoreError):
    """The reference, the new batch or the settings cannot be compared."""


@dataclass(frozen=True)
class DriftSettings:
    """How sure a verdict must be, and how large a change must be to matter."""

    alpha: float = 0.05  # the false-alarm rate for the whole table (and for the predictions' verdict)
    permutations: int = 2000  # Monte Carlo draws of the categorical null; p-values step by 1 / (draws + 1)
    min_shift: float = 0.1  # numbers: Wasserstein distance / reference standard deviation
    min_distance: float = 0.05  # categories: Jensen–Shannon distance (base 2, 0 to 1)
    importance_mix: float = 0.5  # 0: every feature weighs the same; towards 1: by the model's reliance
    seed: int = 0

    def __post_init__(self) -> None:
        checks = (
            (0 < self.alpha < 1, "alpha must lie between 0 and 1", "The usual choice is 0.05."),
            (self.permutations >= 1, "At least one Monte Carlo draw is needed", "The default is 2,000."),
            (self.min_shift >= 0, "The shift floor cannot be negative", "The default is 0.1."),
            (0 <= self.min_distance <= 1, "The distance floor lies between 0 and 1", "The default is 0.05."),
            (0 <= self.importance_mix < 1, "importance_mix lies in [0, 1)", "At 1 a feature could weigh 0."),
        )
        for ok, message, hint in checks:
            if not ok:
                raise DriftInputError(message + ".", hint)


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's verdict and what it rests on.

    `p_value` / `q_value` are the distribution test's, before and after the correction for testing
    every feature; `missing_p_value` / `missing_q_value` the missing-share test's (NaN when not run).
    `effect` is compared with `floor`; shares are of rows; `summary` rows are (what, training, new)
    in plain text; `change` says in words what moved and `sentence` the verdict (both Markdown).
    """

    name: str
    kind: str
    test: str
    statistic: float = math.nan
    p_value: float = math.nan
    q_value: float = math.nan
    effect: float = math.nan
    effect_name: str = ""
    floor: float = math.nan
    psi: float = math.nan
    importance: float = math.nan
    weight: float = math.nan
    significant: bool = False
    drifted: bool = False
    missing_reference: float = 0.0
    missing_current: float = 0.0
    missing_p_value: float = math.nan
    missing_q_value: float = math.nan
    unseen_share: float = 0.0
    unseen_examples: tuple[str, ...] = ()
    below_range: float = 0.0
    above_range: float = 0.0
    summary: tuple[tuple[str, str, str], ...] = ()
    change: str = ""
    note: str = ""
    sentence: str = ""

    @property
    def tested(self) -> bool:
        return not (math.isnan(self.p_value) and math.isnan(self.missing_p_value))

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))


@dataclass(frozen=True)
class DriftReport:
    """Every feature's verdict, most important drifted first, and the whole table's in one sentence."""

    features: tuple[FeatureDrift, ...]
    n_reference: int
    n_current: int
    settings: DriftSettings = field(default_factory=DriftSettings)
    importance_share: float = 0.0  # of the model's total reliance, the share on drifted features
    importance_given: bool = False
    sentence: str = ""

    @property
    def drifted(self) -> bool:
        return any(f.drifted for f in self.features)

    @property
    def drifted_share(self) -> float:
        """Share of the tested features that drifted (0 when none could be tested)."""
        tested = [f for f in self.features if f.tested]
        return sum(f.drifted for f in tested) / len(tested) if tested else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (NaN as null), for the project's timeline and `--json`."""
        return json_safe(
            {
                "n_reference": self.n_reference,
                "n_current": self.n_current,
                "drifted": self.drifted,
                "drifted_share": self.drifted_share,
                "importance_share": self.importance_share,
                "importance_given": self.importance_given,
                "sentence": self.sentence,
                "settings": asdict(self.settings),
                "features": [asdict(f) for f in self.features],
            }
        )


def json_safe(value: Any) -> Any:
    """Plain JSON types: NaN and infinities as None, tuples as lists, numpy scalars as Python ones."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ---------- the report ----------


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: Mapping[str, str],
    importance: Mapping[str, float] | None = None,
    settings: DriftSettings = DriftSettings(),
) -> DriftReport:
    """Compare `current` with `reference` on the features in `kinds` (name → one of `KINDS`).

    `importance` (name → non-negative reliance, e.g. permutation importance; negative values count
    as 0, absent names as 0) weighs the correction: `w = (1 − mix) + mix × importance / mean`, so the
    weights average 1 and none is 0, and the features the model leans on need less evidence.

    Under no change at all, the chance that any feature is flagged is at most `settings.alpha`: the
    weighted Benjamini–Hochberg procedure controls the false discovery rate (Genovese, Roeder and
    Wasserman, 2006) for independent or positively dependent tests, and when nothing changed every
    discovery is false, so the rate of any flag equals that rate.
    """
    _check_frames(reference, current, kinds)
    measured = [
        _measure(name, kind, reference[name], current[name], settings) for name, kind in kinds.items()
    ]
    return _verdicts(measured, len(reference), len(current), importance, settings)


def prediction_drift(
    reference_pred: Sequence[Any] | np.ndarray | pd.Series,
    current_pred: Sequence[Any] | np.ndarray | pd.Series,
    classification: bool,
    settings: DriftSettings = DriftSettings(),
    name: str = "prediction",
) -> FeatureDrift:
    """Whether the model's outputs moved: predicted classes as categories, or predicted values (or a
    positive-class probability) as numbers. Its own verdict at `settings.alpha`, outside the features'
    family, since the predictions are a function of the features rather than another feature."""
    frames = [pd.DataFrame({name: pd.Series(np.asarray(v))}) for v in (reference_pred, current_pred)]
    kind = "categorical" if classification else "numeric"
    return drift_report(*frames, {name: kind}, settings=settings).features[0]


def _check_frames(reference: pd.DataFrame, current: pd.DataFrame, kinds: Mapping[str, str]) -> None:
    if not kinds:
        raise DriftInputError("There are no features to compare.", "Name at least one feature and its kind.")
    unknown = sorted({k for k in kinds.values() if k not in KINDS})
    if unknown:
        raise DriftInputError(f"Unknown kind(s): {', '.join(unknown)}.", f"Use one of {', '.join(KINDS)}.")
    for frame, which in ((reference, "The reference (training rows)"), (current, "The new batch")):
        absent = [name for name in kinds if name not in frame.columns]
        if absent:
            shown = ", ".join(f"'{n}'" for n in absent[:5]) + (" …" if len(absent) > 5 else "")
            raise DriftInputError(
                f"{which} has no column named {shown}.",
                "Compare tables with the model's input columns, named as in training.",
            )
    if len(current) == 0:
        raise DriftInputError(
            "The new batch has no rows.", "Wait until the model has answered some requests."
        )
    if len(reference) < 2:
        raise DriftInputError(
            f"The reference has {plural(len(reference), 'row')}; at least 2 are needed.",
            "Compare with the rows the model was trained on.",
        )


def _verdicts(
    measured: list[FeatureDrift],
    n_reference: int,
    n_current: int,
    importance: Mapping[str, float] | None,
    settings: DriftSettings,
) -> DriftReport:
    """Correct every hypothesis of the table as one family, then decide and word each feature."""
    reliance, given = _reliance([f.name for f in measured], importance)
    hypotheses = [(f, test) for f in measured for test in ("p_value", "missing_p_value") if _has(f, test)]
    names = list(dict.fromkeys(f.name for f, _ in hypotheses))
    weight = dict(
        zip(names, _weights(np.array([reliance[n] for n in names]), settings.importance_mix), strict=True)
    )
    w = np.array([weight[f.name] for f, _ in hypotheses])
    q_values = weighted_bh([getattr(f, test) for f, test in hypotheses], w)
    q = {(f.name, test): value for (f, test), value in zip(hypotheses, q_values, strict=True)}
    rescale = len(w) / w.sum() if len(w) else 1.0  # as weighted_bh uses them: averaging 1 over hypotheses
    decided = [
        _decide(
            replace(
                f,
                q_value=q.get((f.name, "p_value"), math.nan),
                missing_q_value=q.get((f.name, "missing_p_value"), math.nan),
                importance=reliance[f.name],
                weight=weight[f.name] * rescale if f.name in weight else math.nan,
            ),
            settings.alpha,
            len(hypotheses),
        )
        for f in measured
    ]
    decided.sort(key=lambda f: (not f.drifted, not f.significant, not f.tested, -f.importance, f.name))
    share = sum(reliance[f.name] for f in decided if f.drifted) / sum(reliance.values())
    report = DriftReport(tuple(decided), n_reference, n_current, settings, share, given)
    return replace(report, sentence=_table_sentence(report))


def _has(feature: FeatureDrift, test: str) -> bool:
    return not math.isnan(getattr(feature, test))


def _reliance(names: list[str], importance: Mapping[str, float] | None) -> tuple[dict[str, float], bool]:
    """Each feature's importance (negative, NaN and absent as 0), and whether any was given: with
    none (None, or all 0) every feature counts 1."""
    values = {n: float((importance or {}).get(n, 0.0)) for n in names}
    values = {n: v if v > 0 else 0.0 for n, v in values.items()}  # NaN > 0 is False
    given = sum(values.values()) > 0
    return (values if given else dict.fromkeys(names, 1.0)), given


def _weights(reliance: np.ndarray, mix: float) -> np.ndarray:
    """`(1 − mix) + mix × reliance / mean(reliance)`: they average 1, and none is 0 while mix < 1."""
    if len(reliance) == 0:
        return reliance
    mean = reliance.mean()
    return (1 - mix) + mix * (reliance / mean if mean > 0 else np.ones_like(reliance))


def weighted_bh(p_values: Sequence[float], weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Adjusted q-values of the weighted Benjamini–Hochberg step-up procedure.

    The weights are rescaled to average 1; each p-value is divided by its weight and the usual
    step-up applied, `q_(k) = min over j ≥ k of m × (p/w)_(j) / j`, capped at 1. Rejecting every
    hypothesis with q < alpha keeps the false discovery rate at or below alpha (independent or
    positively dependent tests); under no change at all that is the chance of any false alarm.
    """
    p, w = np.asarray(p_values, dtype=float), np.asarray(weights, dtype=float)
    if p.shape != w.shape:
        raise ValueError("Each p-value needs one weight.")
    if len(p) == 0:
        return p
    if np.any(w <= 0) or not np.all(np.isfinite(w)):
        raise ValueError("Weights must be positive and finite.")
    m = len(p)
    ratio = p / (w * m / w.sum())
    order = np.argsort(ratio, kind="stable")
    stepped = ratio[order] * m / np.arange(1, m + 1)
    q = np.empty(m)
    q[order] = np.minimum(np.minimum.accumulate(stepped[::-1])[::-1], 1.0)
    return q


# ---------- deciding and saying it ----------


def passes(q_value: float, p_value: float, alpha: float) -> bool:
    """A hypothesis is rejected when its corrected q-value is below alpha and so is its own p-value:
    the correction is never more lenient than the feature tested alone (with other features truly
    drifted, Benjamini–Hochberg's step-up and a large weight could otherwise flag a p of 0.08)."""
    return q_value < alpha and p_value < alpha


def _decide(f: FeatureDrift, alpha: float, m: int) -> FeatureDrift:
    """Significant when a hypothesis passes; drifted when the effect also reaches the floor."""
    distribution = passes(f.q_value, f.p_value, alpha)
    missing = passes(f.missing_q_value, f.missing_p_value, alpha)
    missing_moved = abs(f.missing_current - f.missing_reference) >= MISSING_SHIFT
    drifted = (distribution and f.effect >= f.floor) or (missing and missing_moved)
    decided = replace(f, significant=distribution or missing, drifted=drifted)
    return replace(decided, sentence=_feature_sentence(decided, alpha, m))


def _feature_sentence(f: FeatureDrift, alpha: float, m: int) -> str:
    head = f"{markdown_code(f.name)}: "
    if not f.tested:
        return head + f.note + "."
    if f.drifted:
        moved = [f.change] if passes(f.q_value, f.p_value, alpha) and f.effect >= f.floor else []
        moved += [_missing_change(f)] if passes(f.missing_q_value, f.missing_p_value, alpha) else []
        return head + "; ".join(moved) + "."
    if f.significant:
        small = _effect_text(f) if passes(f.q_value, f.p_value, alpha) else _missing_change(f)
        return head + f"a real but small change ({small}): not counted as drift."
    return head + f"no change beyond chance ({_chance_text(f, alpha, m)})."


def _effect_text(f: FeatureDrift) -> str:
    if f.effect_name == SHIFT:
        return f"shift {number(f.effect, 2)} standard deviations"
    return f"{JS_DISTANCE} {number(f.effect, 2)}"


def _missing_change(f: FeatureDrift) -> str:
    before, after = _share(f.missing_reference), _share(f.missing_current)
    return f"missing in {before} of training rows and {after} of new rows"


def _chance_text(f: FeatureDrift, alpha: float, m: int) -> str:
    test, p, q = (
        (f.test, f.p_value, f.q_value)
        if _has(f, "p_value")
        else (MISSING_TEST, f.missing_p_value, f.missing_q_value)
    )
    text = f"{_SHORT[test]} p = {p_text(p)}"
    return text + (f", q = {p_text(q)} allowing for {plural(m, 'test')}" if p < alpha else "")


def _table_sentence(report: DriftReport) -> str:
    tested = [f for f in report.features if f.tested]
    drifted = sum(f.drifted for f in tested)
    small = sum(f.significant and not f.drifted for f in tested)
    if not tested:
        text = "No feature could be tested."
    elif drifted:
        text = f"{drifted} of {plural(len(tested), 'feature')} drifted"
        text += (
            f", carrying {_share(report.importance_share)} of what the model relies on."
            if report.importance_given
            else "."
        )
    else:
        text = f"No feature drifted ({plural(len(tested), 'feature')} tested)" + (
            f"; {small} changed by a real but small amount." if small else "."
        )
    skipped = len(report.features) - len(tested)
    if skipped:
        text += f" {plural(skipped, 'feature')} not tested."
    if report.n_current < FEW_ROWS:
        text += f" Only {plural(report.n_current, 'new row')}: so few can show only large changes."
    return text


def p_text(p: float) -> str:
    """A p-value without exponents: '0.41', '0.003', '< 0.001'."""
    return "< 0.001" if p < 0.001 else number(p, 2)


def _share(share: float) -> str:
    """Whole percent in sentences ('20%'), one decimal near 0 and 100% so 0.4% is not '<1%'."""
    return percent(share, 0 if 0.01 <= share <= 0.99 or share in (0, 1) else 1)


# ---------- measuring one feature ----------


def _measure(
    name: str, kind: str, reference: pd.Series, current: pd.Series, settings: DriftSettings
) -> FeatureDrift:
    if kind in ("numeric", "datetime"):
        return _numeric(name, kind, reference, current, settings)
    levels = reference.nunique(dropna=True) if kind == "text" else 0
    if levels > TEXT_LEVELS:
        note = f"free text with {plural(levels, 'different value')} is not tested for drift"
        return FeatureDrift(name, kind, NOT_TESTED, note=note)
    rng = np.random.default_rng([settings.seed, zlib.crc32(name.encode())])
    return _categorical(name, kind, reference, current, settings, rng)


def as_numbers(values: pd.Series, kind: str) -> np.ndarray:
    """Floats with NaN for missing (infinities count as missing); timestamps as nanoseconds in UTC."""
    if kind == "datetime":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "could not infer format" for text dates
            stamps = pd.to_datetime(values, errors="coerce", utc=True)
        out = stamps.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        out[stamps.isna().to_numpy()] = np.nan
        return out
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    out = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    out[~np.isfinite(out)] = np.nan
    return out


def _numeric(
    name: str, kind: str, reference: pd.Series, current: pd.Series, settings: DriftSettings
) -> FeatureDrift:
    """KS test, shift in reference standard deviations, PSI, missing shares and the training range."""
    r_all, c_all = as_numbers(reference, kind), as_numbers(current, kind)
    r, c = np.sort(r_all[~np.isnan(r_all)]), np.sort(c_all[~np.isnan(c_all)])
    missing_r, missing_c = 1 - len(r) / len(r_all), 1 - len(c) / len(c_all)
    base = FeatureDrift(
        name,
        kind,
        NOT_TESTED,
        effect_name=SHIFT,
        floor=settings.min_shift,
        missing_reference=missing_r,
        missing_current=missing_c,
        missing_p_value=_missing_test(len(r_all) - len(r), len(r), len(c_all) - len(c), len(c)),
    )
    if not len(r) or not len(c):
        side = "training" if not len(r) else "new"
        return replace(base, note=f"no values among the {side} rows")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "exact calculation unsuccessful, switching to asymp"
        ks = stats.ks_2samp(r, c, method="auto")
    below = np.searchsorted(c, r[0], "left") / len(c_all)
    above = (len(c) - np.searchsorted(c, r[-1], "right")) / len(c_all)
    quartiles = [np.quantile(x, [0.25, 0.5, 0.75], method="inverted_cdf") for x in (r, c)]
    text = _date_text if kind == "datetime" else _value_text
    measured = replace(
        base,
        test=KS_TEST,
        statistic=float(ks.statistic),
        p_value=float(ks.pvalue),
        effect=_shift(r, c),
        psi=_numeric_psi(r, c),
        below_range=float(below),
        above_range=float(above),
        summary=tuple(
            (label, text(a), text(b))
            for label, a, b in zip(("lower quartile", "median", "upper quartile"), *quartiles, strict=True)
        ),
    )
    return replace(measured, change=_numeric_change(measured, *quartiles, text))


def _missing_test(missing_r: int, present_r: int, missing_c: int, present_c: int) -> float:
    """Fisher's exact p-value that the missing share differs (NaN when neither sample misses values)."""
    if not missing_r and not missing_c:
        return math.nan
    return float(stats.fisher_exact([[missing_r, present_r], [missing_c, present_c]]).pvalue)


def wasserstein(u: np.ndarray, v: np.ndarray) -> float:
    """The 1-Wasserstein distance of two sorted samples: the area between their distribution functions."""
    both = np.sort(np.concatenate([u, v]))
    gaps = np.diff(both)
    u_cdf = np.searchsorted(u, both[:-1], "right") / len(u)
    v_cdf = np.searchsorted(v, both[:-1], "right") / len(v)
    return float(np.sum(np.abs(u_cdf - v_cdf) * gaps))


def _shift(r: np.ndarray, c: np.ndarray) -> float:
    """Wasserstein distance in reference standard deviations. A constant reference has none, so the
    pooled sample's is used (any robust scale of a constant is 0 as well); two equal constants: 0."""
    distance = wasserstein(r, c)
    scale = float(np.std(r, ddof=1)) if len(r) > 1 else 0.0
    if not scale > 0:
        scale = float(np.std(np.concatenate([r, c])))
    return distance / scale if scale > 0 else 0.0


def _numeric_psi(r: np.ndarray, c: np.ndarray) -> float:
    """PSI over bins at the reference's deciles (right-closed: (−∞, e1], (e1, e2] … (e9, ∞))."""
    edges = np.unique(np.quantile(r, np.arange(1, PSI_BINS) / PSI_BINS))
    counts = [np.diff(np.concatenate([[0], np.searchsorted(x, edges, "right"), [len(x)]])) for x in (r, c)]
    return psi(*counts)


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Population stability index, Σ (c − r) ln(c / r) over bins of shares, shares floored at `PSI_FLOOR`."""
    r = np.maximum(np.asarray(reference_counts, float) / np.sum(reference_counts), PSI_FLOOR)
    c = np.maximum(np.asarray(current_counts, float) / np.sum(current_counts), PSI_FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))


def _date_text(value: float) -> str:
    stamp = pd.Timestamp(round(value))
    return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M")


def _numeric_change(f: FeatureDrift, ref: np.ndarray, cur: np.ndarray, text: Any) -> str:
    """'median 34 → 51 (shift 0.8 standard deviations)', with the middle half when the spread moved
    more than the centre, then the share of new rows beyond the training range."""
    words = f"median {text(ref[1])} → {text(cur[1])}"
    if abs((cur[2] - cur[0]) - (ref[2] - ref[0])) > abs(cur[1] - ref[1]):
        words += f", middle half {text(ref[0])}–{text(ref[2])} → {text(cur[0])}–{text(cur[2])}"
    words += f" ({_effect_text(f)})"
    later, earlier = ("later", "earlier") if f.kind == "datetime" else ("higher", "lower")
    share, side = max((f.above_range, later), (f.below_range, earlier))
    if share >= OUT_OF_RANGE:
        words += f"; {_share(share)} of new rows are {side} than any training value"
    return words


def _value_text(value: float) -> str:
    return number(float(value), 3)


def level_counts(values: pd.Series) -> pd.Series:
    """Rows per level as text (missing as `MISSING`; 3.0 as '3', so codes read with gaps match)."""
    counts = values.value_counts(dropna=False, sort=False)
    keys = [_level(k) for k in counts.index]
    return pd.Series(counts.to_numpy(), index=keys).groupby(level=0, sort=False).sum()


def _level(value: Any) -> str:
    if pd.isna(value):
        return MISSING
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _categorical(
    name: str,
    kind: str,
    reference: pd.Series,
    current: pd.Series,
    settings: DriftSettings,
    rng: np.random.Generator,
) -> FeatureDrift:
    """Chi-square under the exact conditional null, Jensen–Shannon distance, PSI and unseen levels."""
    table = pd.concat([level_counts(reference), level_counts(current)], axis=1, sort=False).fillna(0)
    table = table[table.sum(axis=1) > 0]  # a categorical dtype lists levels no row holds
    levels = table.index.to_numpy(dtype=object)
    r, c = (table.iloc[:, i].to_numpy(dtype=np.int64) for i in (0, 1))
    statistic, p_value = chi_square_null(r, c, settings.permutations, rng)
    rs, cs = r / r.sum(), c / c.sum()
    unseen = (r == 0) & (levels != MISSING)
    order = np.argsort(-c[unseen], kind="stable")
    examples = tuple(str(v) for v in levels[unseen][order][:3])
    top = np.argsort(-np.maximum(rs, cs), kind="stable")[:5]
    return FeatureDrift(
        name,
        kind,
        CHI_SQUARE_TEST,
        statistic=statistic,
        p_value=p_value,
        effect=float(jensenshannon(rs, cs, base=2)),
        effect_name=JS_DISTANCE,
        floor=settings.min_distance,
        psi=psi(r, c),
        missing_reference=float(rs[levels == MISSING].sum()),
        missing_current=float(cs[levels == MISSING].sum()),
        unseen_share=float(cs[unseen].sum()),
        unseen_examples=examples,
        summary=tuple((str(levels[i]), percent(rs[i]), percent(cs[i])) for i in top),
        change=_categorical_change(levels, rs, cs, unseen, examples),
    )


def chi_square_null(
    reference_counts: np.ndarray, current_counts: np.ndarray, draws: int, rng: np.random.Generator
) -> tuple[float, float]:
    """Pearson's chi-square of the 2 × k table and its p-value under the exact conditional null.

    Given the pooled counts, the new batch's counts are multivariate hypergeometric when nothing
    changed; `draws` samples of them give p = (1 + #draws ≥ observed) / (draws + 1), valid at any size.
    With p_j the pooled share, the statistic is N / (n_r n_c) × Σ_j (c_j − n_c p_j)² / p_j.
    """
    pooled = reference_counts + current_counts
    n, n_c = int(pooled.sum()), int(current_counts.sum())
    shares = pooled / n
    scale = n / (n_c * (n - n_c))

    def statistic(counts: np.ndarray) -> np.ndarray:
        gap = counts - n_c * shares
        return (gap * gap / shares).sum(axis=-1) * scale

    observed = float(statistic(current_counts[None, :])[0])
    at_least = observed - 1e-9 * max(observed, 1.0)  # equal tables, equal statistics despite rounding
    chunk = max(1, MC_CELLS // len(pooled))
    exceed = 0
    for start in range(0, draws, chunk):
        sample = rng.multivariate_hypergeometric(pooled, n_c, size=min(chunk, draws - start))
        exceed += int(np.count_nonzero(statistic(sample) >= at_least))
    return observed, (1 + exceed) / (draws + 1)


def _categorical_change(
    levels: np.ndarray, rs: np.ndarray, cs: np.ndarray, unseen: np.ndarray, examples: tuple[str, ...]
) -> str:
    """ "'north' went from 20% to 45% of rows; 12% of new rows hold 'west', never seen in training":
    the known level that moved most, unless new levels moved more, then the new levels."""
    known = np.flatnonzero(rs > 0)
    i = known[np.argmax(np.abs(cs[known] - rs[known]))]
    new = float(cs[unseen].sum())
    words = []
    if abs(cs[i] - rs[i]) > new:
        what = "missing values" if levels[i] == MISSING else f"'{markdown_text(levels[i])}'"
        words.append(f"{what} went from {_share(rs[i])} to {_share(cs[i])} of rows")
    if new > 0:
        shown = [f"'{markdown_text(v)}'" for v in examples]
        more = int(unseen.sum()) - len(examples)
        listed = ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]
        listed += f" (or {plural(more, 'other new level')})" if more else ""
        words.append(f"{_share(new)} of new rows hold {listed}, never seen in training")
    return "; ".join(words)
