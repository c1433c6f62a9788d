"""Discover (issue 16): clustering, choosing k and the map's rerun, each against a reference in the same run.

1. k-means with k = 8 on the 1,000,000-row bench table: `fit_clusters` on the prepared matrix against
   scikit-learn called directly on that matrix with the estimator our path builds (above
   `BUDGET.minibatch_rows` rows, `MiniBatchKMeans(n_clusters=8, random_state=0)`); the labels must be
   identical. Best of `ROUNDS`, taken in turns. Target: ours at most 1.2× the direct call. `prepare`
   (Prepare's per-column steps on every row) is timed once on its own, with its peak memory.
2. Choosing k over 2–10 on the 100,000-row table: `choose_k` against the loop a user would write
   (fit the same estimator for each k, then scikit-learn's silhouette on a sample of the same size,
   Calinski–Harabasz and Davies–Bouldin). Best of `ROUNDS`, in turns. Reported, no target.
3. The Discover page's rerun with a 100,000-point PCA scatter shown, under AppTest with every rerun
   running app.py (navigation, sidebar) and then the page, as the server does, against the same page
   with the same workspace on its Clusters tab (nothing clustered, no chart). `RERUNS` plain reruns
   of each, in turns; best and median. Target: well under 0.3 s. Then the same at the default number
   of points drawn (`BUDGET.plot_points`), which most users see.

Cases 1 and 2 report CPU time beside wall time (steadier on a shared machine) and peak memory measured
with tracemalloc in untimed runs of their own. Case 3 also times what dominates the scatter's rerun:
`st.plotly_chart` serialising the (cached) figure again, with and without its per-point hover values.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import plotly.io
import plotly.tools
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from streamlit.testing.v1 import AppTest

from bench.common import ROOT, bench_table, markdown_table, write_section
from mlcore.data.loading import load_path
from mlcore.discover import plots
from mlcore.discover.algorithms import clustering
from mlcore.discover.budget import BUDGET
from mlcore.discover.choose_k import choose_k
from mlcore.discover.clustering import fit_clusters
from mlcore.discover.prepared import prepare
from mlcore.workspace import Workspace
from tests.apptest_support import plotly_array, rerun_like_the_server

KMEANS_ROWS = 1_000_000
K = 8
K_ROWS = 100_000
KS = range(2, 11)
MAP_ROWS = 100_000
POINTS = 100_000
ROUNDS = 3
RERUNS = 10
HOVER_COLUMNS = 6  # the map's hover shows the table's first columns (ui.discover_tabs.HOVER_COLUMNS)
TARGET_FIT = 1.2
TARGET_RERUN = 0.3
PAGE = "pages/discover.py"


# ---------- timing and memory ----------


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds of this process (all its threads) and the result."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - start, time.process_time() - cpu, result


def _in_turns(cases: dict[str, Callable[[], object]]) -> dict[str, dict]:
    """Each case `ROUNDS` times, taken in turns (the order reversed every other round, so neither side
    always runs first); the best wall and CPU time of each and its last result."""
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    last: dict[str, object] = {}
    for turn in range(ROUNDS):
        for name in list(cases)[:: 1 if turn % 2 == 0 else -1]:
            last[name] = None  # let the previous result go before the next run
            seconds, used, last[name] = _timed(cases[name])
            wall[name].append(seconds)
            cpu[name].append(used)
    return {name: {"wall": min(wall[name]), "cpu": min(cpu[name]), "result": last[name]} for name in cases}


def _peak_mib(fn: Callable[[], object]) -> float:
    """The most memory allocated at once during `fn` through Python and NumPy (tracemalloc), in MiB;
    an untimed run of its own, as tracing slows the work."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# ---------- 1. k-means on a million rows ----------


def _kmeans() -> dict:
    dataset = load_path(bench_table(KMEANS_ROWS))
    prep_seconds, prep_cpu, prepared = _timed(lambda: prepare(dataset))
    prep_mib = _peak_mib(lambda: prepare(dataset))
    matrix = prepared.matrix
    algorithm = clustering("kmeans")
    built = algorithm.build(algorithm.resolve({"n_clusters": K}), 0, prepared.n_rows, BUDGET)
    assert type(built) is MiniBatchKMeans, built
    assert built.get_params() == MiniBatchKMeans(n_clusters=K, random_state=0).get_params(), built

    def ours() -> object:
        return fit_clusters(prepared, "kmeans", {"n_clusters": K}, seed=0)

    def direct() -> object:
        return MiniBatchKMeans(n_clusters=K, random_state=0).fit_predict(matrix)

    timed = _in_turns({"direct": direct, "ours": ours})
    fit, labels = timed["ours"]["result"], timed["direct"]["result"]
    assert fit.estimator_name == "MiniBatchKMeans" and fit.fitted_rows is None, fit
    assert np.array_equal(fit.labels, labels), "our labels differ from the direct call's"
    del fit, labels, timed["ours"]["result"], timed["direct"]["result"]
    return {
        "shape": matrix.shape,
        "prepare": prep_seconds,
        "prepare_cpu": prep_cpu,
        "prepare_mib": prep_mib,
        "matrix_mib": matrix.nbytes / 2**20,
        "ours": timed["ours"],
        "direct": timed["direct"],
        "ours_mib": _peak_mib(ours),
        "direct_mib": _peak_mib(direct),
    }


# ---------- 2. choosing k ----------


def _plain_loop(matrix: np.ndarray) -> dict[int, tuple[float, float, float]]:
    """What a user would write: for each k, fit k-means and score it three ways."""
    scores = {}
    for k in KS:
        labels = KMeans(n_clusters=k, random_state=0).fit_predict(matrix)
        scores[k] = (
            silhouette_score(matrix, labels, sample_size=BUDGET.silhouette_rows, random_state=0),
            calinski_harabasz_score(matrix, labels),
            davies_bouldin_score(matrix, labels),
        )
    return scores


def _choose_k() -> dict:
    prepared = prepare(load_path(bench_table(K_ROWS)))
    algorithm = clustering("kmeans")
    for k in KS:  # the reference fits the estimator our path builds for this many rows
        built = algorithm.build(algorithm.resolve({"n_clusters": k}), 0, prepared.n_rows, BUDGET)
        assert type(built) is KMeans, built
        assert built.get_params() == KMeans(n_clusters=k, random_state=0).get_params(), built
    timed = _in_turns(
        {
            "plain": lambda: _plain_loop(prepared.matrix),
            "ours": lambda: choose_k(prepared, "kmeans", KS, seed=0),
        }
    )
    choice, reference = timed["ours"]["result"], timed["plain"]["result"]
    for score in choice.scores:  # the same fits: the scores on every row agree
        _, ch, db = reference[score.k]
        assert np.isclose(score.calinski_harabasz, ch) and np.isclose(score.davies_bouldin, db), score
    return {
        "ours": timed["ours"],
        "plain": timed["plain"],
        "recommended": choice.recommended,
        "reason": choice.reason,
        "note": choice.note,
        "plain_best": max(reference, key=lambda k: reference[k][0]),
    }


# ---------- 3. the map's rerun ----------


def _scatter(app: AppTest) -> list:
    return [c for c in app.get("plotly_chart") if "discover.scatter" in c.proto.id]


def _open(workspace: Workspace, tab: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.session_state["workspace"] = workspace
    app.run()
    app.switch_page(PAGE).run()
    app.session_state["discover_tab"] = tab
    app.run()
    assert not app.exception, app.exception
    return app


def _points(app: AppTest) -> int:
    """The points in the page's scatter: the x values of every trace (plotly typed arrays decoded)."""
    charts = _scatter(app)
    assert len(charts) == 1, f"{len(charts)} scatters on the page"
    return sum(len(plotly_array(trace["x"])) for trace in json.loads(charts[0].proto.spec)["data"])


def _reruns(app: AppTest, reference: AppTest) -> tuple[list[float], list[float]]:
    """`RERUNS` plain reruns of each session, in turns, after a warm-up rerun of each."""
    app.run()
    reference.run()
    timed: tuple[list[float], list[float]] = ([], [])
    for _ in range(RERUNS):
        timed[0].append(_timed_run(app))
        timed[1].append(_timed_run(reference))
    assert len(_scatter(app)) == 1 and not reference.get("plotly_chart")
    return timed


def _timed_run(app: AppTest) -> float:
    start = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - start
    assert not app.exception, app.exception
    return seconds


def _serialised(figure: object) -> str:
    """What `st.plotly_chart` does with a figure on every run before sending it (Streamlit 1.67)."""
    return plotly.io.to_json(plotly.tools.return_figure_from_figure_or_data(figure, True), validate=False)


def _map_rerun() -> dict:
    rerun_like_the_server()  # every rerun runs app.py (navigation, sidebar) first, as on the server
    dataset = load_path(bench_table(MAP_ROWS))
    workspace = Workspace(dataset=dataset)
    app = _open(workspace, "Map")
    app.number_input(key="discover.points").set_value(POINTS).run()
    next(b for b in app.button if b.label == "Map with PCA").click().run()
    began = time.perf_counter()
    deadline = time.monotonic() + 300
    while not _scatter(app):  # the PCA runs as a background job; the page polls it
        assert time.monotonic() < deadline and not app.exception, app.exception or "no scatter in time"
        time.sleep(0.3)
        app.run()
    first = time.perf_counter() - began
    chart = _scatter(app)[0]
    spec = json.loads(chart.proto.spec)
    drawn = _points(app)
    assert drawn == POINTS, f"the scatter holds {drawn:,} points, not {POINTS:,}"
    reference = _open(workspace, "Clusters")
    assert not reference.get("plotly_chart") and any(b.label == "Find clusters" for b in reference.button)
    scatter, clusters = _reruns(app, reference)
    # The same at the default number of points, the map most users see.
    app.number_input(key="discover.points").set_value(min(BUDGET.plot_points, POINTS)).run()
    default_points = _points(app)
    assert default_points == min(BUDGET.plot_points, POINTS), default_points
    default_scatter, default_clusters = _reruns(app, reference)
    # What dominates: the cached figure is sent again on every rerun. Rebuild the same figure (the PCA
    # result from the workspace, coloured by the target, the first columns on hover) and time that.
    pca = workspace.discovery(workspace.discover.pca_key(dataset, workspace.prep, workspace.seed)).result
    colour = dataset.frame[dataset.target].reset_index(drop=True)
    hover = dataset.frame.iloc[:, :HOVER_COLUMNS]
    build, _, figure = _timed(
        lambda: plots.projection_figure(pca.projection, colour, hover, 2, max_points=POINTS)
    )
    serialise = min(_timed(lambda: _serialised(figure))[0] for _ in range(ROUNDS))
    same = len(_serialised(figure)) == len(chart.proto.spec)
    biplot = plots.biplot_figure(pca, colour)  # the tab's other map: the default number of points
    biplot_points = sum(len(trace.x) for trace in biplot.data)
    biplot_serialise = min(_timed(lambda: _serialised(biplot))[0] for _ in range(ROUNDS))
    bare = figure.update_traces(customdata=None, text=None)
    bare_serialise = min(_timed(lambda: _serialised(bare))[0] for _ in range(ROUNDS))
    workspace.discover.stop_all()
    return {
        "first": first,
        "scatter_best": min(scatter),
        "scatter_median": statistics.median(scatter),
        "clusters_best": min(clusters),
        "clusters_median": statistics.median(clusters),
        "default_points": default_points,
        "default_best": min(default_scatter),
        "default_median": statistics.median(default_scatter),
        "default_clusters_median": statistics.median(default_clusters),
        "spec_mib": len(chart.proto.spec) / 2**20,
        "traces": len(spec["data"]),
        "types": sorted({trace["type"] for trace in spec["data"]}),
        "build": build,
        "serialise": serialise,
        "same_figure": same,
        "bare_serialise": bare_serialise,
        "biplot_points": biplot_points,
        "biplot_serialise": biplot_serialise,
        "bare_mib": len(_serialised(bare)) / 2**20,
    }


# ---------- the section ----------


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _seconds(case: dict) -> str:
    return f"{case['wall']:.2f} s (CPU {case['cpu']:.2f} s)"


def main() -> None:
    began = time.perf_counter()
    fit = _kmeans()
    gc.collect()
    ks = _choose_k()
    gc.collect()
    rerun = _map_rerun()
    fit_ratio = fit["ours"]["wall"] / fit["direct"]["wall"]
    k_ratio = ks["ours"]["wall"] / ks["plain"]["wall"]
    rerun_ratio = rerun["scatter_median"] / rerun["clusters_median"]
    n_rows, n_columns = fit["shape"]
    rows = [
        [
            f"k-means, k = {K}, on {n_rows:,} × {n_columns} prepared: `fit_clusters` (MiniBatchKMeans)",
            _seconds(fit["ours"]),
            f"{_seconds(fit['direct'])}: `MiniBatchKMeans(n_clusters={K}, random_state=0).fit_predict`",
            f"{fit_ratio:.2f}× (CPU {fit['ours']['cpu'] / fit['direct']['cpu']:.2f}×)",
            f"≤ {TARGET_FIT}×: {_met(fit_ratio <= TARGET_FIT)}",
        ],
        [
            f"choose k over 2–10 on {K_ROWS:,} rows: `choose_k` (KMeans)",
            _seconds(ks["ours"]),
            f"{_seconds(ks['plain'])}: plain loop, fit + silhouette ({BUDGET.silhouette_rows:,}-row "
            "sample) + Calinski–Harabasz + Davies–Bouldin",
            f"{k_ratio:.2f}× (CPU {ks['ours']['cpu'] / ks['plain']['cpu']:.2f}×)",
            "reported",
        ],
        [
            f"Discover page rerun, Map tab, {POINTS:,}-point PCA scatter shown",
            f"{rerun['scatter_median'] * 1000:,.0f} ms median ({rerun['scatter_best'] * 1000:,.0f} best)",
            f"{rerun['clusters_median'] * 1000:,.0f} ms median ({rerun['clusters_best'] * 1000:,.0f} best): "
            "the same page and workspace on its Clusters tab (nothing clustered, no chart)",
            f"{rerun_ratio:.0f}×",
            f"well under {TARGET_RERUN * 1000:.0f} ms: {_met(rerun['scatter_median'] < TARGET_RERUN)}",
        ],
        [
            f"the same at the default {rerun['default_points']:,} points",
            f"{rerun['default_median'] * 1000:,.0f} ms median ({rerun['default_best'] * 1000:,.0f} best)",
            f"{rerun['default_clusters_median'] * 1000:,.0f} ms median: the Clusters tab, in turns again",
            f"{rerun['default_median'] / rerun['default_clusters_median']:.0f}×",
            f"(under {TARGET_RERUN * 1000:.0f} ms: {_met(rerun['default_median'] < TARGET_RERUN)})",
        ],
    ]
    details = [
        [
            f"`prepare` on {KMEANS_ROWS:,} rows (once, outside the fits above)",
            f"{fit['prepare']:.2f} s (CPU {fit['prepare_cpu']:.2f} s)",
            f"peak {fit['prepare_mib']:,.0f} MiB; the matrix it keeps {fit['matrix_mib']:,.0f} MiB",
        ],
        [
            "k-means peak memory: ours / direct",
            "",
            f"{fit['ours_mib']:,.0f} MiB / {fit['direct_mib']:,.0f} MiB",
        ],
        [
            "the scatter as the page sends it",
            "",
            f"{rerun['spec_mib']:.1f} MiB of JSON, {rerun['traces']} traces ({', '.join(rerun['types'])}), "
            f"{POINTS:,} points (checked)",
        ],
        ["PCA job, from the click to the scatter shown (polled every 0.3 s)", f"{rerun['first']:.1f} s", ""],
        [
            "building that scatter figure (cached: once per data and settings)",
            f"{rerun['build']:.2f} s",
            "",
        ],
        [
            "`st.plotly_chart`'s serialisation of that figure, on every rerun",
            f"{rerun['serialise']:.2f} s",
            f"{rerun['serialise'] / rerun['scatter_median']:.0%} of the median rerun"
            + ("" if rerun["same_figure"] else " (its JSON length differs from the page's chart)"),
        ],
        [
            f"the same for the tab's biplot ({rerun['biplot_points']:,} points, row and colour on hover)",
            f"{rerun['biplot_serialise']:.2f} s",
            f"{rerun['biplot_serialise'] / rerun['scatter_median']:.0%} of the median rerun",
        ],
        [
            "the scatter without its per-point hover values (`customdata`, `text`)",
            f"{rerun['bare_serialise']:.2f} s",
            f"{rerun['bare_mib']:.1f} MiB of JSON",
        ],
    ]
    body = "\n".join(
        [
            f'1. `fit_clusters(prepared, "kmeans", {{"n_clusters": {K}}}, seed=0)` on '
            f"`make_table.py {KMEANS_ROWS}` (loaded with `load_path`, then through `prepare` once) against "
            "scikit-learn called directly on the same matrix with the estimator our path builds above "
            f"{BUDGET.minibatch_rows:,} rows (parameters checked equal, labels checked identical).",
            f'2. `choose_k(prepared, "kmeans", range(2, 11), seed=0)` on `make_table.py {K_ROWS}` against '
            "the loop a user would write with the same estimator (`KMeans(n_clusters=k, random_state=0)`, "
            f"parameters checked equal): `silhouette_score(..., sample_size={BUDGET.silhouette_rows})`, "
            "`calinski_harabasz_score`, `davies_bouldin_score` (the last two checked equal to ours for "
            "every k).",
            "3. AppTest, `at.run()` wall time: app.py (navigation, sidebar) and then pages/discover.py, as "
            "on the server, plus AppTest's own collection of the elements. A `Workspace` holding "
            f"`make_table.py {MAP_ROWS}`; Map tab, 'Points drawn' set to {POINTS:,}, 'Map with PCA' "
            f"clicked and polled until the scatter shows; then {RERUNS} plain reruns of it and of a second "
            "session on the same workspace's Clusters tab, in turns, after a warm-up rerun of each; then "
            "the same with 'Points drawn' back at its default.",
            "",
            f"1 and 2: best of {ROUNDS}, taken in turns (the order reversed every other round); CPU time is "
            "the process's, all threads, steadier than wall time on a shared machine. Peak memory: the most "
            "allocated at once through Python and NumPy (`tracemalloc`), in an untimed run of its own.",
            "",
            markdown_table(
                ["measurement", "ours", "reference (same run)", "ours / reference", "target"], rows
            ),
            "",
            markdown_table(["detail", "time", "notes"], details),
            "",
            f"- k-means: ours **{fit_ratio:.2f}×** the direct call's wall time (target ≤ {TARGET_FIT}×).",
            f"- Choosing k: ours **{k_ratio:.2f}×** the plain loop. Recommended k on {K_ROWS:,} rows: "
            f"**{ks['recommended']}**; the reason given: “{ks['reason']}” {ks['note']} The plain loop's "
            f"best silhouette (on its own sample) is at k = {ks['plain_best']}.",
            f"- Map rerun with {POINTS:,} points: **{rerun['scatter_median'] * 1000:,.0f} ms** median "
            f"(target well under {TARGET_RERUN * 1000:.0f} ms), {rerun_ratio:.0f}× the Clusters tab's; "
            f"{rerun['default_median'] * 1000:,.0f} ms at the default {rerun['default_points']:,}. "
            "The figures are cached, but `st.plotly_chart` serialises each again on every run. Hover "
            "values that are numbers (the row, number columns) travel as one binary array; text values "
            f"travel as one string per point, and only up to {plots.TEXT_HOVER_POINTS:,} points (a string "
            "per point and column made this rerun take 1.5 s at 100,000 points, plotly's JSON encoder "
            "walking them one by one).",
        ]
    )
    write_section("discover", "Discover: k-means, choosing k and the map's rerun (issue 16)", body)
    print(f"measuring took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
