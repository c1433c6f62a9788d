"""Exploration charts as pure functions: a frame and column names in, a plotly figure out.

Charts of counts (histograms, bars, boxes, missing-value patterns) are computed with numpy from every
row, so a figure holds a few dozen numbers whatever the table size. Charts that draw one mark per row
(scatter, scatter matrix, violin) and the correlation heatmap use a seeded uniform sample; the figure's
subtitle says which rows it shows. Bad arguments raise `ValueError` with a plain message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from mlcore.explore.budget import BUDGET
from mlcore.explore.overview import is_number

MAX_CATEGORIES = 20  # bars shown before the rest are grouped as "other"
MAX_GROUPS = 20  # colours or boxes one chart can tell apart
MAX_MATRIX_COLUMNS = 6
MAX_ASSOCIATION_LABELS = 50  # beyond this a label column is an identifier, not something to associate
MAX_HEATMAP_COLUMNS = 40
MISSING_LABEL = "(missing)"
Method = Literal["pearson", "spearman", "cramers_v"]
METHODS: dict[str, str] = {
    "pearson": "Pearson correlation (numbers, straight-line relation)",
    "spearman": "Spearman correlation (numbers, any rising or falling relation)",
    "cramers_v": "Cramér's V (labels, any association)",
}


@dataclass(frozen=True)
class ChartSample:
    """The rows a chart draws, and how they relate to the whole table."""

    frame: pd.DataFrame
    total_rows: int

    @property
    def sampled(self) -> bool:
        return len(self.frame) < self.total_rows

    @property
    def note(self) -> str:
        if self.sampled:
            return f"uniform random sample of {len(self.frame):,} of {self.total_rows:,} rows"
        return f"all {self.total_rows:,} rows"


def chart_sample(frame: pd.DataFrame, max_rows: int, seed: int = 0) -> ChartSample:
    """A seeded uniform sample of at most `max_rows` rows, in table order."""
    if max_rows < 1:
        raise ValueError("A chart needs at least one row to draw.")
    if len(frame) <= max_rows:
        return ChartSample(frame, len(frame))
    rows = np.sort(np.random.default_rng(seed).choice(len(frame), size=max_rows, replace=False))
    return ChartSample(frame.iloc[rows], len(frame))


def distribution(
    frame: pd.DataFrame,
    column: str,
    *,
    color: str | None = None,
    bins: int = 30,
    normalize: bool = False,
) -> go.Figure:
    """Histogram (numbers, dates) or bar chart (labels) of one column from every row, optionally
    split by `color`; with `normalize`, each colour's bars are shares of that colour's rows."""
    _check_columns(frame, column, color)
    if bins < 1:
        raise ValueError("A histogram needs at least one bin.")
    groups, group_names = _groups(frame, color)
    values = frame[column]
    numeric = is_number(values) or pd.api.types.is_datetime64_any_dtype(values.dtype)
    if numeric:
        codes, centres, widths, missing = _histogram_codes(values, bins)
    else:
        codes, centres, missing = _label_codes(values)
        widths = None
    counts = np.bincount(
        groups[codes >= 0] * len(centres) + codes[codes >= 0], minlength=len(group_names) * len(centres)
    ).reshape(len(group_names), len(centres))
    fig = go.Figure()
    for g, name in enumerate(group_names):
        total = counts[g].sum()
        y = counts[g] / total if normalize and total else counts[g]
        fig.add_bar(x=centres, y=y, width=widths, name=str(name), showlegend=color is not None)
    notes = ["all rows"]
    if numeric and missing:
        notes.append(f"{missing:,} missing value(s) not shown")
    split = (f" within each {color}" if normalize else f" by {color}") if color else ""
    fig.update_layout(
        title=_title(f"Distribution of {column}{split}", "; ".join(notes)),
        barmode=("overlay" if numeric else "group") if normalize and color else "stack",
        bargap=0.02 if numeric else 0.2,
        xaxis_title=column,
        xaxis_type=None if numeric else "category",  # labels such as "0" and "1" stay labels
        yaxis_title=f"share of each {color}" if normalize and color else "rows",
        legend_title=color,
    )
    if normalize and color and numeric:
        fig.update_traces(opacity=0.55)
    return fig


def box_by_group(
    frame: pd.DataFrame,
    value: str,
    group: str,
    *,
    kind: Literal["box", "violin"] = "box",
    max_points: int = BUDGET.scatter_points,
    seed: int = 0,
) -> go.Figure:
    """Box plots of `value` per label of `group` from every row (Tukey whiskers), or violins drawn
    from a seeded sample of rows."""
    _check_columns(frame, value, group)
    if not is_number(frame[value]):
        raise ValueError(f"'{value}' is not numeric, so it cannot be drawn as a box or violin.")
    if kind not in ("box", "violin"):
        raise ValueError(f"Unknown chart kind '{kind}': choose 'box' or 'violin'.")
    if kind == "violin":
        sample = chart_sample(frame[[value, group]], max_points, seed)
        fig = px.violin(sample.frame, x=group, y=value, color=group, box=True, points=False)
        fig.update_layout(title=_title(f"{value} by {group}", sample.note), showlegend=False)
        return fig
    groups, names = _groups(frame, group)
    values = frame[value].to_numpy(dtype=np.float64, na_value=np.nan)
    stats: dict[str, list[float]] = {k: [] for k in ("q1", "median", "q3", "lowerfence", "upperfence")}
    shown = []
    for g, name in enumerate(names):
        part = values[groups == g]
        part = part[~np.isnan(part)]
        if not len(part):
            continue
        q1, median, q3 = np.quantile(part, [0.25, 0.5, 0.75])
        iqr = q3 - q1
        stats["q1"].append(q1)
        stats["median"].append(median)
        stats["q3"].append(q3)
        stats["lowerfence"].append(part[part >= q1 - 1.5 * iqr].min())
        stats["upperfence"].append(part[part <= q3 + 1.5 * iqr].max())
        shown.append(str(name))
    fig = go.Figure(go.Box(x=shown, **stats, boxpoints=False, name=value))
    fig.update_layout(
        title=_title(f"{value} by {group}", "all rows; whiskers reach the last value within 1.5×IQR"),
        xaxis_title=group,
        xaxis_type="category",
        yaxis_title=value,
    )
    return fig


def correlation_matrix(
    frame: pd.DataFrame,
    columns: list[str] | None = None,
    method: Method = "pearson",
) -> pd.DataFrame:
    """Pairwise correlation (numeric columns) or Cramér's V (label columns), using the rows where both
    values are present."""
    if method not in METHODS:
        raise ValueError(f"Unknown method '{method}': choose one of {', '.join(METHODS)}.")
    if columns is None:
        columns = _default_columns(frame, method)
    _check_columns(frame, *columns)
    if method == "cramers_v":
        return _cramers_v_matrix(frame, columns)
    bad = [c for c in columns if not is_number(frame[c])]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))} are not numeric; use Cramér's V for labels.")
    data = frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    if method == "spearman":
        data = np.column_stack([_ranks(data[:, j]) for j in range(data.shape[1])])
    return pd.DataFrame(_pairwise_pearson(data), index=columns, columns=columns)


def correlation_heatmap(
    frame: pd.DataFrame,
    columns: list[str] | None = None,
    *,
    method: Method = "pearson",
    max_rows: int = BUDGET.correlation_rows,
    seed: int = 0,
) -> go.Figure:
    """Heatmap of `correlation_matrix` on a seeded sample of at most `max_rows` rows."""
    if method not in METHODS:
        raise ValueError(f"Unknown method '{method}': choose one of {', '.join(METHODS)}.")
    if columns is None:  # narrow by dtype first, so only the needed columns are sampled
        numeric = method != "cramers_v"
        sample = chart_sample(
            frame[[c for c in frame.columns if is_number(frame[c]) == numeric]], max_rows, seed
        )
        columns = _default_columns(sample.frame, method)
    else:
        _check_columns(frame, *columns)
        sample = chart_sample(frame[columns], max_rows, seed)
    note = sample.note
    if len(columns) > MAX_HEATMAP_COLUMNS:  # a readable chart, not tens of thousands of cells
        note += f"; the first {MAX_HEATMAP_COLUMNS} of {len(columns)} columns"
        columns = columns[:MAX_HEATMAP_COLUMNS]
    matrix = correlation_matrix(sample.frame, columns, method)
    if matrix.empty:
        raise ValueError("There are no columns of the right kind for this correlation.")
    low = 0.0 if method == "cramers_v" else -1.0
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            zmin=low,
            zmax=1.0,
            colorscale="Blues" if low == 0 else "RdBu",
            reversescale=low != 0,
            text=np.round(matrix.to_numpy(), 2),
            texttemplate="%{text}" if len(matrix) <= 15 else None,
            hovertemplate="%{y} × %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(title=_title(METHODS[method], note), yaxis_autorange="reversed")
    return fig


def scatter(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    color: str | None = None,
    max_points: int = BUDGET.scatter_points,
    seed: int = 0,
) -> go.Figure:
    """Scatter plot of two columns on a seeded sample, coloured by `color` (e.g. the target)."""
    _check_columns(frame, x, y, color)
    names = list(dict.fromkeys(c for c in (x, y, color) if c))
    sample = chart_sample(frame[names], max_points, seed)
    fig = px.scatter(sample.frame, x=x, y=y, color=_color_arg(sample.frame, color), render_mode="svg")
    fig.update_traces(marker={"size": 6, "opacity": 0.7})
    fig.update_layout(title=_title(f"{y} against {x}", sample.note), legend_title=color)
    return fig


def scatter_matrix(
    frame: pd.DataFrame,
    columns: list[str],
    *,
    color: str | None = None,
    max_points: int = BUDGET.matrix_points,
    seed: int = 0,
) -> go.Figure:
    """Every pair of 2 to 6 columns against each other, on a seeded sample."""
    if not 2 <= len(columns) <= MAX_MATRIX_COLUMNS:
        raise ValueError(f"Choose between 2 and {MAX_MATRIX_COLUMNS} columns for a scatter matrix.")
    if len(set(columns)) != len(columns):
        raise ValueError("Each column can appear only once in a scatter matrix.")
    _check_columns(frame, *columns, color)
    names = list(dict.fromkeys([*columns, *([color] if color else [])]))
    sample = chart_sample(frame[names], max_points, seed)
    fig = px.scatter_matrix(sample.frame, dimensions=columns, color=_color_arg(sample.frame, color))
    fig.update_traces(diagonal_visible=False, showupperhalf=False, marker={"size": 4, "opacity": 0.6})
    fig.update_layout(
        title=_title("Scatter matrix", sample.note), legend_title=color, height=150 + 170 * len(columns)
    )
    return fig


def missing_patterns(frame: pd.DataFrame) -> pd.DataFrame:
    """Which combinations of columns are missing together, with their row counts (most common first).

    Only columns with at least one missing value appear; `rows` counts the rows with that pattern."""
    masks = {str(c): frame[c].isna().to_numpy() for c in frame.columns}
    names = [c for c, mask in masks.items() if mask.any()]
    if not names:
        return pd.DataFrame(columns=["rows"])
    missing = np.column_stack([masks[c] for c in names])
    if len(names) <= 64:  # one integer per row: a 1-D unique is far faster than a row-wise one
        key = np.zeros(len(frame), dtype=np.uint64)
        for j in range(len(names)):
            key |= missing[:, j].astype(np.uint64) << np.uint64(j)
    else:
        key = np.unique(np.packbits(missing, axis=1), axis=0, return_inverse=True)[1].ravel()
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    table = pd.DataFrame(missing[first[order]], columns=names)
    table["rows"] = counts[order]
    return table


def missing_pattern(frame: pd.DataFrame, max_patterns: int = 15) -> go.Figure:
    """Heatmap of the most common missing-value patterns, from every row."""
    if max_patterns < 1:
        raise ValueError("Show at least one pattern.")
    table = missing_patterns(frame)
    fig = go.Figure()
    if table.empty:
        fig.add_annotation(text="No missing values", showarrow=False, font={"size": 18})
        fig.update_layout(title="Missing values", xaxis_visible=False, yaxis_visible=False)
        return fig
    shown = table.head(max_patterns)
    names = [c for c in table.columns if c != "rows"]
    total = len(frame)
    share = {c: table.loc[table[c], "rows"].sum() / total for c in names}
    labels = [f"{n:,} rows ({n / total:.1%})" for n in shown["rows"]]
    fig.add_heatmap(
        z=shown[names].to_numpy().astype(int),
        x=[f"{c} ({share[c]:.1%})" for c in names],
        y=labels,
        zmin=0,
        zmax=1,
        colorscale=[[0, "#dbe9f6"], [1, "#d62728"]],
        showscale=False,
        xgap=2,
        ygap=2,
        hovertemplate="%{x}: %{z} (1 = missing)<br>%{y}<extra></extra>",
    )
    hidden = len(table) - len(shown)
    note = f"all rows; red = missing; {len(frame.columns) - len(names)} complete column(s) not shown"
    if hidden:
        note += f"; {hidden} rarer pattern(s) not shown"
    fig.update_layout(title=_title("Missing-value patterns", note), yaxis_autorange="reversed")
    return fig


def target_distribution(frame: pd.DataFrame, target: str, *, classification: bool) -> go.Figure:
    """Class counts with their shares, or the histogram of a numeric target."""
    _check_columns(frame, target)
    if not classification:
        fig = distribution(frame, target)
        fig.update_layout(title=_title(f"Target: {target}", "all rows"))
        return fig
    counts = frame[target].value_counts(dropna=False)
    total = counts.sum()
    labels = [MISSING_LABEL if pd.isna(k) else str(k) for k in counts.index]
    fig = go.Figure(go.Bar(x=labels, y=counts.to_numpy(), text=[f"{n:,} ({n / total:.1%})" for n in counts]))
    fig.update_layout(
        title=_title(f"Target: {target}", "all rows"),
        xaxis_title=target,
        xaxis_type="category",
        yaxis_title="rows",
    )
    return fig


def _check_columns(frame: pd.DataFrame, *names: str | None) -> None:
    for name in names:
        if name is not None and name not in frame.columns:
            raise ValueError(f"There is no column named '{name}'.")


def _title(text: str, note: str) -> dict:
    return {"text": f"{text}<br><sup>{note}</sup>"}


def _groups(frame: pd.DataFrame, color: str | None) -> tuple[np.ndarray, list[object]]:
    """A group code per row (missing is a group of its own) and the group names."""
    if color is None:
        return np.zeros(len(frame), dtype=np.int64), ["all"]
    codes, uniques = pd.factorize(frame[color], sort=True, use_na_sentinel=True)
    names: list[object] = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(names), codes)
        names.append(MISSING_LABEL)
    if len(names) > MAX_GROUPS:
        raise ValueError(
            f"'{color}' has {len(names)} different values; colour by a column with at most {MAX_GROUPS}."
        )
    return codes.astype(np.int64), names


def _histogram_codes(values: pd.Series, bins: int) -> tuple[np.ndarray, list, np.ndarray, int]:
    """Bin index per row (-1 for missing), bin centres, bin widths and the missing count."""
    dates = pd.api.types.is_datetime64_any_dtype(values.dtype)
    if dates:
        numbers = values.array.asi8.astype(np.float64)
        numbers[values.isna().to_numpy()] = np.nan
    else:
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    present = ~np.isnan(numbers)
    if not present.any():
        return np.full(len(numbers), -1), [], np.empty(0), len(numbers)
    edges = np.histogram_bin_edges(numbers[present], bins=bins)
    codes = np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0, len(edges) - 2)
    codes[~present] = -1
    centres = (edges[:-1] + edges[1:]) / 2
    widths = np.diff(edges)
    if dates:
        return codes, list(pd.to_datetime(centres.astype(np.int64))), widths / 1e6, int((~present).sum())
    return codes, list(centres), widths, int((~present).sum())


def _label_codes(values: pd.Series) -> tuple[np.ndarray, list[str], int]:
    """Bar index per row: the most frequent labels, then "other", then "(missing)"."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    order = np.argsort(-counts, kind="stable")
    kept = order[:MAX_CATEGORIES]
    remap = np.full(len(uniques) + 1, -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    names = [str(uniques[i]) for i in kept]
    if len(uniques) > MAX_CATEGORIES:
        remap[order[MAX_CATEGORIES:]] = len(names)
        names.append(f"other ({len(uniques) - MAX_CATEGORIES} labels)")
    missing = int((codes < 0).sum())
    if missing:
        remap[len(uniques)] = len(names)
        names.append(MISSING_LABEL)
    return remap[np.where(codes < 0, len(uniques), codes)], names, missing


def _color_arg(frame: pd.DataFrame, color: str | None) -> pd.Series | None:
    """A colour column as labels (so plotly draws a legend, not a colour bar) when it has few values."""
    if color is None:
        return None
    column = frame[color]
    if is_number(column) and column.nunique() > MAX_GROUPS:
        return column
    return column.astype("string").fillna(MISSING_LABEL).rename(color)


def _default_columns(frame: pd.DataFrame, method: str) -> list[str]:
    if method == "cramers_v":
        return [
            str(c)
            for c in frame.columns
            if not is_number(frame[c]) and 1 < frame[c].nunique() <= MAX_ASSOCIATION_LABELS
        ]
    return [str(c) for c in frame.columns if is_number(frame[c])]


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank); missing values stay missing."""
    return pd.Series(values).rank(method="average").to_numpy()


def _pairwise_pearson(data: np.ndarray) -> np.ndarray:
    """Pearson correlation of every pair of columns over the rows where both are present, with
    matrix products (BLAS) instead of a loop over pairs."""
    present = ~np.isnan(data)
    counts = present.sum(axis=0)
    means = np.where(counts > 0, np.where(present, data, 0.0).sum(axis=0) / np.maximum(counts, 1), 0.0)
    centred = np.where(present, data - means, 0.0)  # centring keeps the sums small and accurate
    mask = present.astype(np.float64)
    n = mask.T @ mask
    sum_x = centred.T @ mask  # [i, j]: sum of column i over rows where j is present too
    sum_xx = (centred * centred).T @ mask
    sum_xy = centred.T @ centred
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sum_xy - sum_x * sum_x.T / n
        var_x = sum_xx - sum_x * sum_x / n
        result = cov / np.sqrt(var_x * var_x.T)
    result[n < 2] = np.nan
    return np.clip(result, -1.0, 1.0)


def _cramers_v_matrix(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    codes = {c: pd.factorize(frame[c], use_na_sentinel=True)[0] for c in columns}
    result = np.eye(len(columns))
    for i, a in enumerate(columns):
        for j in range(i + 1, len(columns)):
            result[i, j] = result[j, i] = _cramers_v(codes[a], codes[columns[j]])
    return pd.DataFrame(result, index=columns, columns=columns)


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V of two label columns (rows with a missing value left out), without bias correction."""
    both = (a >= 0) & (b >= 0)
    a, b = a[both], b[both]
    if not len(a):
        return float("nan")
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return float("nan")
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / table.sum() / (min(table.shape) - 1)))
