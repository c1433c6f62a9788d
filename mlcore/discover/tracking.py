"""A clustering as MLflow keeps it: its settings, scores, labels, description and bundle in one run.

A clustering is tracked like a supervised run (`mlcore.track`): a run in its project's experiment,
tagged `mlcore.kind = clustering`, with the algorithm, its settings, the seed and the preprocessing
as params; the number of clusters, the noise share, the mean silhouette and, with a class target,
the agreement scores as metrics; and every row's cluster, the clusters described in words and the
exported bundle less its copy of the data (which reproduces the labels without the workbench) as artifacts.
"""

from __future__ import annotations

import pandas as pd

from mlcore.dataset import Dataset
from mlcore.deploy.bundle import DATA_FILE
from mlcore.discover.algorithms import clustering
from mlcore.discover.export import cluster_bundle
from mlcore.discover.session import Discovery
from mlcore.track.tracking import Analysis, spec_params
from mlcore.train.prep_spec import PrepSpec
from mlcore.train.split import SplitSpec

KIND = "clustering"


def clustering_analysis(discovery: Discovery, dataset: Dataset, prep: PrepSpec) -> Analysis:
    """The MLflow run of a finished clustering of `dataset`."""
    fit = discovery.fit
    params = spec_params(fit.algorithm, fit.seed, prep, SplitSpec(), dict(fit.params))
    params = {k: v for k, v in params.items() if not k.startswith("split.")}  # nothing is split
    params["estimator"] = fit.estimator_name
    metrics = {
        "n_clusters": float(discovery.k),
        "noise_share": fit.n_noise / len(fit.labels),
        "fit_seconds": discovery.seconds,
    }
    if discovery.silhouettes is not None:
        metrics["silhouette"] = discovery.silhouettes.mean
    if discovery.agreement is not None:
        metrics |= {score.key: score.value for score in discovery.agreement.scores}
    labels = pd.DataFrame({"row": range(1, len(fit.labels) + 1), "cluster": fit.labels})
    described = [p.sentence for p in discovery.profiles.clusters]
    if discovery.profiles.noise is not None:
        described.append(discovery.profiles.noise.sentence)
    bundle = cluster_bundle(fit, dataset)
    files = {
        "clusters/labels.csv": labels.to_csv(index=False).encode(),
        "clusters/description.md": ("\n".join(f"- {s}" for s in described) + "\n").encode(),
        **{f"bundle/{name}": data for name, data in bundle.files.items() if name != DATA_FILE},
    }
    name = f"Clusters: {clustering(fit.algorithm).name} ({discovery.k} clusters)"
    return Analysis(name, KIND, dataset, params, metrics, files)
