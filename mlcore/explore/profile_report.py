"""The full ydata-profiling report, on demand, in a worker process, never in the user's way.

ydata-profiling is thorough but slow (tens of seconds on 100k rows, and its page grows with the
table), so it runs in a `Job` while the user keeps working. Above a row threshold it profiles a seeded
uniform sample; above a column threshold it uses its minimal preset. Finished reports are kept in a
small `ResultStore` shared by every session, keyed by the dataset's content hash and the settings, so
asking again costs nothing.

Column names and cells are the user's, and ydata-profiling writes some of them into its HTML as they
are: a name such as `<script>…</script>` would run. Names and text cells are HTML-escaped before
profiling (markup in the data then reads as text), and the page shows the report only inside a
sandboxed frame without the app's origin (`mlcore.markup.sandboxed_page`), so even a script that
slipped through cannot reach the app.
"""

from __future__ import annotations

import html
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlcore.compute.jobs import Job, JobState, Report
from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.explore.profile_settings import ProfileError, ProfileSettings
from mlcore.results import Entry, ResultStore

DESCRIBE_SHARE = 0.8  # share of the progress bar given to ydata's statistics; the rest is the HTML


@dataclass(frozen=True)
class ProfilePlan:
    """What the report will cover, decided before it starts, so the page can say so."""

    rows_total: int
    rows_profiled: int
    columns: int
    minimal: bool

    @property
    def sampled(self) -> bool:
        return self.rows_profiled < self.rows_total

    def describe(self, settings: ProfileSettings) -> str:
        rows = (
            f"a uniform random sample of {self.rows_profiled:,} of the {self.rows_total:,} rows "
            f"(seed {settings.seed})"
            if self.sampled
            else f"all {self.rows_total:,} rows"
        )
        mode = (
            f"the minimal preset, as the table has more than {settings.minimal_above_columns} columns"
            if self.minimal
            else "the full preset (correlations, interactions, missing-value diagrams)"
        )
        return f"Profiles {rows} with {mode}."


def plan_profile(rows: int, columns: int, settings: ProfileSettings) -> ProfilePlan:
    return ProfilePlan(rows, min(rows, settings.max_rows), columns, columns > settings.minimal_above_columns)


@dataclass(frozen=True)
class ProfileResult:
    html: str
    plan: ProfilePlan
    seconds: float


ProfileCache = ResultStore[ProfileResult]  # finished reports by `cache_key`

# Shared by every session of the app: the same data and settings give the same report.
CACHE = ProfileCache(max_entries=4)


def cache_key(dataset: Dataset, settings: ProfileSettings) -> tuple:
    return (dataset.content_hash, settings.max_rows, settings.minimal_above_columns, settings.seed)


@dataclass(frozen=True)
class ProfileRun:
    """One report for one dataset and settings, held for the session that asked: its worker while it
    runs, then the report (also kept in the shared cache) or the plain reason it did not finish."""

    key: tuple
    plan: ProfilePlan
    results: ResultStore[ProfileResult] = field(repr=False)  # its own: kept if the shared cache drops it
    job: Job | None = None  # the worker, for callers that wait on it; None for a report from the cache

    @property
    def result(self) -> ProfileResult | None:
        return self.results.get(self.key)

    def poll(self) -> Entry[ProfileResult]:
        return self.results.poll(self.key)

    def stop(self) -> None:
        self.results.stop(self.key)


def start_profile(
    dataset: Dataset, settings: ProfileSettings = ProfileSettings(), cache: ProfileCache | None = None
) -> ProfileRun:
    """Start the report in a worker process, or return the cached one at once (from the app-wide
    cache unless another is given)."""
    cache = CACHE if cache is None else cache
    key = cache_key(dataset, settings)
    plan = plan_profile(dataset.n_rows, dataset.n_columns, settings)
    results: ResultStore[ProfileResult] = ResultStore(max_entries=1)
    cached = cache.get(key)
    if cached is not None:
        results.put(key, cached, elapsed=cached.seconds)
        return ProfileRun(key, plan, results)
    if dataset.n_rows == 0:
        raise ProfileError("The table has no rows to profile.", "Load a table with data first.")
    frame = dataset.frame
    if plan.sampled:
        rows = np.sort(np.random.default_rng(settings.seed).choice(len(frame), plan.rows_profiled, False))
        frame = frame.iloc[rows].reset_index(drop=True)

    def report(job: Job) -> ProfileResult:
        result = ProfileResult(job.result, plan, job.elapsed)
        cache.put(key, result)
        return result

    job = results.start(
        key,
        build_report_html,
        frame,
        dataset.name,
        plan.minimal,
        time_budget=settings.time_budget,
        result=report,
        error=_explain,
    )
    return ProfileRun(key, plan, results, job)


def build_report_html(report: Report, frame: pd.DataFrame, title: str, minimal: bool) -> str:
    """Worker: build the report's HTML, sending progress events (runs in its own process)."""
    os.environ["YDATA_PROFILING_NO_ANALYTICS"] = "True"  # no telemetry, before the package loads
    os.environ["TQDM_DISABLE"] = "1"  # no progress bars on the worker's stderr; events carry progress
    report({"progress": 0.01, "message": "loading ydata-profiling"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import ydata_profiling.model.describe as describe_module
        from ydata_profiling import ProfileReport

        describe_module.tqdm = _progress_bar(report)  # this worker's copy only: progress reaches the page
        try:
            profile = ProfileReport(
                escape_markup(frame), title=plain_title(title), minimal=minimal, progress_bar=False
            )
            profile.get_description()
            report({"progress": DESCRIBE_SHARE, "message": "writing the HTML page"})
            return profile.to_html()
        except MLCoreError:
            raise
        except Exception as exc:
            raise ProfileError(
                f"ydata-profiling could not build the report: {type(exc).__name__}: {exc}",
                "Try the minimal preset or fewer rows, or ignore the column the message names.",
            ) from exc


def escape_markup(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose column names and text cells are HTML-escaped (`<` as `&lt;` …), so none is markup."""
    out = frame.rename(columns=lambda name: html.escape(str(name)))
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype):
            escaped = column.cat.rename_categories(lambda level: html.escape(str(level)))
        elif pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            escaped = column.map(lambda cell: html.escape(cell) if isinstance(cell, str) else cell)
        else:
            continue
        out.isetitem(position, escaped)
    return out


def plain_title(name: str) -> str:
    """The report's title without markup characters: ydata-profiling's minifier turns `&lt;` back
    into `<` inside `<title>`, so an escaped `</title><script>` in a file name would still run."""
    return re.sub(r"[<>&\"'`]", "_", name)


def _progress_bar(report: Report) -> type:
    """A stand-in for the tqdm bar ydata-profiling drives while describing the data."""

    class ProgressBar:
        message = "summarising the columns"

        def __init__(self, *args: Any, total: int = 1, **kwargs: Any) -> None:
            self.total, self.n, self.best = total, 0, 0.0

        def __enter__(self) -> ProgressBar:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def update(self, n: int = 1) -> None:
            self.n += n
            self.best = max(self.best, DESCRIBE_SHARE * min(1.0, self.n / max(self.total, 1)))
            report({"progress": self.best, "message": self.message})

        def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
            self.message = text.replace("Describe variable:", "describing").strip() or "summarising"

    return ProgressBar


def _explain(job: Job) -> MLCoreError:
    """A plain reason for a report that did not finish."""
    if job.state is JobState.TIMED_OUT:
        return ProfileError(
            f"The report took longer than {job.time_budget:g} s and was stopped.",
            "Profile fewer rows, or lower the column threshold so the minimal preset is used.",
        )
    if job.state is JobState.STOPPED:
        return ProfileError("The report was stopped.", "Start it again when you need it.")
    error = job.error or {}
    hint = (
        error.get("hint")
        or "The worker may have run out of memory: profile fewer rows or use the minimal preset."
    )
    return ProfileError(error.get("message") or "The report failed for an unknown reason.", hint)
