"""The Discover page's tabs: clusters, how many clusters, the map, and anomalies. Each draws its
controls, runs its analysis in the background, and draws what `mlcore.discover` returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from mlcore.compute.jobs import JobState
from mlcore.dataset import Dataset
from mlcore.discover import plots
from mlcore.discover.algorithms import CLUSTERINGS, DETECTORS, clustering
from mlcore.discover.anomalies import Anomalies
from mlcore.discover.budget import BUDGET
from mlcore.discover.choose_k import DEFAULT_KS, SILHOUETTE_WORDS, KChoice
from mlcore.discover.clustering import cluster_labels
from mlcore.discover.export import free_column
from mlcore.discover.projections import UMAP_UNAVAILABLE, PcaSummary, Projection
from mlcore.discover.session import MAX_POINTS, Discovery
from mlcore.formatting import number, plural
from mlcore.markup import markdown_code, markdown_text
from mlcore.workspace import Workspace
from ui.discover_views import algorithm_choice, analysis
from ui.state import synced

HOVER_COLUMNS = 6  # columns shown when pointing at a row on a map
CLUSTER = "cluster (found here)"


def current_clusters(ws: Workspace, dataset: Dataset) -> Discovery | None:
    """The clustering of the current settings, once it is done."""
    entry = ws.discovery(ws.discover.clusters_key(dataset, ws.prep, ws.seed))
    return entry.result if entry.state is JobState.DONE else None


# ---------- clusters ----------


def clusters_tab(ws: Workspace, dataset: Dataset) -> None:
    algorithm = algorithm_choice(ws, "algorithm", CLUSTERINGS, "Algorithm")
    key = ws.discover.clusters_key(dataset, ws.prep, ws.seed)
    found = analysis(
        ws,
        key,
        lambda: ws.discover.start_clusters(dataset, ws.prep, ws.seed),
        "Find clusters",
        f"Fit {algorithm.name} on every row's prepared features, then describe each cluster.",
        f"Finding clusters with {algorithm.name}",
    )
    if found is not None:
        _draw_clusters(dataset, found)


def _draw_clusters(dataset: Dataset, found: Discovery) -> None:
    fit = found.fit
    left, middle, right = st.columns(3)
    left.metric("Clusters", found.k)
    middle.metric("Rows in no cluster (noise)", f"{fit.n_noise:,}")
    if found.silhouettes is not None:
        mean = found.silhouettes.mean
        words = next((w for low, w in SILHOUETTE_WORDS if mean > low), "little structure")
        right.metric("Mean silhouette", number(mean, 2), help=f"{words}: 1 is perfect, 0 clusters that touch")
    notes = " ".join(n for n in (fit.note, found.note) if n)
    if notes:
        st.caption(markdown_text(notes))
    st.subheader("What each cluster is")
    for profile in found.profiles.clusters:
        st.markdown(f"- {profile.sentence}")
    if found.profiles.noise is not None:
        st.markdown(f"- {found.profiles.noise.sentence}")
    if found.profiles.note:
        st.caption(markdown_text(found.profiles.note))
    if not found.profiles.heatmap.empty:
        st.plotly_chart(plots.profile_heatmap(found.profiles), key="discover.heatmap")
    if found.silhouettes is not None:
        st.plotly_chart(plots.silhouette_figure(found.silhouettes), key="discover.silhouettes")
    elif found.silhouette_problem:
        st.caption(markdown_text(found.silhouette_problem))
    if found.tree is not None:
        st.plotly_chart(plots.dendrogram_figure(found.tree), key="discover.tree")
    if found.agreement is not None:
        _draw_agreement(found)


def _draw_agreement(found: Discovery) -> None:
    agreement = found.agreement
    st.subheader(f"Clusters against the classes of {markdown_code(agreement.target)}")
    st.caption(
        "The clusters were found without the target: how well do they match it? Rows per cluster and class:"
    )
    st.dataframe(agreement.contingency)
    for score in agreement.scores:
        st.markdown(f"**{score.name}: {number(score.value, 3)}**: {score.explanation}")
    if agreement.note:
        st.caption(agreement.note)


# ---------- how many clusters ----------


def choose_k_tab(ws: Workspace, dataset: Dataset) -> None:
    algorithm = clustering(ws.discover.algorithm)
    if algorithm.k_param is None:
        st.info(
            f"{algorithm.name} finds the number of clusters by itself. Choose k-means, agglomerative "
            "clustering or a Gaussian mixture on the Clusters tab to compare numbers of clusters.",
            icon=":material/info:",
        )
        return
    top = max(min(20, dataset.n_rows - 1), 4)
    low, high = st.slider(
        "Numbers of clusters to compare", 2, top, (DEFAULT_KS[0], min(DEFAULT_KS[-1], top)), key="discover.ks"
    )
    ks = tuple(range(low, high + 1))
    if len(ks) < 3:
        st.info("Compare at least three numbers of clusters.", icon=":material/info:")
        return
    choice: KChoice | None = analysis(
        ws,
        ws.discover.ks_key(dataset, ws.prep, ws.seed, ks),
        lambda: ws.discover.start_ks(dataset, ws.prep, ws.seed, ks),
        f"Score k = {low} to {high}",
        f"Fit {algorithm.name} once for each k and score every fit five ways.",
        "Scoring numbers of clusters",
    )
    if choice is None:
        return
    st.success(markdown_text(choice.reason), icon=":material/recommend:")
    if choice.note:
        st.caption(markdown_text(choice.note))
    st.plotly_chart(plots.k_selection_figure(choice), key="discover.ks_figure")
    st.button(
        f"Use k = {choice.recommended}",
        on_click=ws.set_discover_param,
        args=(algorithm.key, algorithm.k_param, choice.recommended, algorithm.defaults()),
        help="Set the number of clusters on the Clusters tab; then find the clusters there.",
    )


# ---------- the map ----------


def map_tab(ws: Workspace, dataset: Dataset) -> None:
    method = st.radio("Map", ["PCA", "t-SNE", "UMAP"], horizontal=True, key="discover.map")
    if method == "UMAP":
        st.info(UMAP_UNAVAILABLE + " Use t-SNE for neighbourhoods, or PCA.", icon=":material/info:")
        return
    left, middle, right = st.columns(3)
    clusters_key = ws.discover.clusters_key(dataset, ws.prep, ws.seed)
    found = current_clusters(ws, dataset)
    options = ([CLUSTER] if found is not None else []) + [str(c) for c in dataset.frame.columns]
    default = 0 if found is not None or dataset.target is None else options.index(dataset.target)
    look = MapLook(
        left.selectbox("Colour by", options, index=default, key="discover.colour"),
        middle.radio("Dimensions", [2, 3], horizontal=True, key="discover.dimensions"),
        int(
            right.number_input(
                "Points drawn",
                1_000,
                MAX_POINTS,
                min(BUDGET.plot_points, MAX_POINTS),
                step=10_000,
                help="A random sample of the rows is drawn when there are more; every statistic uses every "
                "row. Large maps are drawn with WebGL.",
                key="discover.points",
            )
        ),
        found,
        clusters_key if found is not None else None,
    )
    if found is None:
        st.caption("Find clusters on the Clusters tab to colour the map by them.")
    if method == "PCA":
        key = ws.discover.pca_key(dataset, ws.prep, ws.seed)
        pca: PcaSummary | None = analysis(
            ws,
            key,
            lambda: ws.discover.start_pca(dataset, ws.prep, ws.seed),
            "Map with PCA",
            "Principal components of every row: the directions in which the rows vary most.",
            "PCA",
        )
        if pca is not None:
            _draw_pca(dataset, pca, key, look)
        return
    perplexity = st.number_input(
        "Perplexity",
        2.0,
        500.0,
        30.0,
        help="About how many neighbours each row keeps close: 5 to 50 is usual; larger values show "
        "more of the overall shape.",
        key="discover.perplexity",
    )
    key = ws.discover.tsne_key(dataset, ws.prep, ws.seed, perplexity, look.dimensions)
    tsne: Projection | None = analysis(
        ws,
        key,
        lambda: ws.discover.start_tsne(dataset, ws.prep, ws.seed, perplexity, look.dimensions),
        "Map with t-SNE",
        "t-SNE keeps rows that are near each other near on the map; distances between groups mean little.",
        "t-SNE",
    )
    if tsne is not None:
        _scatter(dataset, tsne, key, look)


@dataclass(frozen=True)
class MapLook:
    """How the map is drawn: the colouring column, 2-D or 3-D, how many points, and the clusters."""

    colour: str
    dimensions: int
    points: int
    found: Discovery | None
    clusters_key: tuple | None  # what the clusters depend on, for the figure cache

    def key(self, source: tuple, figure: str) -> int:
        return hash((figure, source, self.colour, self.dimensions, self.points, self.clusters_key))


def _draw_pca(dataset: Dataset, pca: PcaSummary, key: tuple, look: MapLook) -> None:
    _scatter(dataset, pca.projection, key, look)
    st.plotly_chart(plots.explained_variance_figure(pca), key="discover.variance")
    if pca.projection.dimensions >= 2:
        colours = _colour_values(dataset, look)
        biplot = _cached(look.key(key, "biplot"), lambda: plots.biplot_figure(pca, colours))
        st.plotly_chart(biplot, key="discover.biplot")
    with st.expander("Loadings: what each component is made of"):
        st.dataframe(pca.loadings.iloc[:, : min(5, pca.loadings.shape[1])].style.format("{:+.3f}"))


def _scatter(dataset: Dataset, projection: Projection, key: tuple, look: MapLook) -> None:
    if look.dimensions > projection.dimensions:
        st.info(f"This map has {projection.dimensions} dimensions.", icon=":material/info:")
        return
    hover = dataset.frame.iloc[:, :HOVER_COLUMNS]
    figure = _cached(
        look.key(key, "scatter"),
        lambda: plots.projection_figure(
            projection, _colour_values(dataset, look), hover, look.dimensions, max_points=look.points
        ),
    )
    st.plotly_chart(figure, key="discover.scatter")


@st.cache_resource(max_entries=6, show_spinner=False)
def _cached(key: int, _build: Callable[[], go.Figure]) -> go.Figure:
    """A map built once per data, settings and colouring: a rerun only sends it to the browser again."""
    return _build()


def _colour_values(dataset: Dataset, look: MapLook) -> pd.Series:
    if look.colour == CLUSTER and look.found is not None:
        return cluster_labels(look.found.fit.labels).rename("cluster")
    return dataset.frame[look.colour].reset_index(drop=True)


# ---------- anomalies ----------


def anomalies_tab(ws: Workspace, dataset: Dataset) -> None:
    detector = algorithm_choice(ws, "detector", DETECTORS, "Detector")
    st.number_input(
        "Rows to list",
        1,
        100,
        ws.discover.top,
        **synced(ws, "discover.top", lambda v: ws.set_discover(top=int(v))),
    )
    top = ws.discover.top
    found: Anomalies | None = analysis(
        ws,
        ws.discover.anomalies_key(dataset, ws.prep, ws.seed),
        lambda: ws.discover.start_anomalies(dataset, ws.prep, ws.seed),
        "Find anomalies",
        f"Score every row with {detector.name} and explain the {plural(top, 'most unusual row')}.",
        "Looking for anomalies",
    )
    if found is None:
        return
    if found.note:
        st.caption(markdown_text(found.note))
    st.plotly_chart(plots.anomaly_score_figure(found), key="discover.anomaly_scores")
    st.subheader(f"The {plural(len(found.top), 'most unusual row')}")
    for row in found.top:
        st.markdown(f"- {row.sentence}")
    rows = dataset.frame.iloc[[r.position for r in found.top]].copy()
    rows.insert(0, free_column(dataset, found.score_name), [r.score for r in found.top])
    rows.index = [r.row for r in found.top]
    st.dataframe(rows)
