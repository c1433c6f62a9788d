"""`discover FILE`: cluster the rows with the app's own code, say what each cluster is and how well
the rows sit in them, and write the table with each row's cluster (or all of it as JSON)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlcore.commands._shared import add_file_arguments, load_dataset, print_json
from mlcore.errors import MLCoreError

if TYPE_CHECKING:
    from mlcore.dataset import Dataset
    from mlcore.discover.algorithms import Algorithm
    from mlcore.discover.choose_k import KChoice
    from mlcore.discover.clustering import ClusterFit
    from mlcore.discover.prepared import Prepared

ALGORITHMS = {  # the command's names: the keys of `mlcore.discover.algorithms.CLUSTERINGS`
    "kmeans": "kmeans",
    "agglomerative": "agglomerative",
    "gmm": "gaussian_mixture",
    "dbscan": "dbscan",
    "hdbscan": "hdbscan",
}
AUTO = "auto"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "discover", help="cluster the rows, describe each cluster and write each row's cluster"
    )
    add_file_arguments(parser)
    parser.add_argument(
        "--algorithm",
        choices=list(ALGORITHMS),
        default="kmeans",
        help="the clustering (default kmeans; gmm is a Gaussian mixture; dbscan and hdbscan find the "
        "number of clusters themselves and may leave rows in none)",
    )
    parser.add_argument(
        "--k",
        help="the number of clusters, or 'auto' (the default) to try 2 to 10 and take the best silhouette; "
        "not for dbscan or hdbscan",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another setting of the algorithm, e.g. linkage=average or eps=0.3 (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for every random step (default 0)")
    parser.add_argument("--json", action="store_true", help="print everything as one JSON object")
    parser.add_argument("-o", "--output", help="write the table with each row's cluster to this CSV file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    from mlcore.discover.algorithms import clustering
    from mlcore.discover.choose_k import choose_k
    from mlcore.discover.clustering import fit_clusters
    from mlcore.discover.export import free_column, labelled_csv
    from mlcore.discover.prepared import prepare

    algorithm = clustering(ALGORITHMS[args.algorithm])
    k = _k(args.k, algorithm)
    params = _params(args.param, algorithm)
    output = Path(args.output) if args.output else None
    if output is not None and not output.parent.exists():
        raise MLCoreError(
            f"The folder '{output.parent}' does not exist.", "Create it or choose another path."
        )
    dataset = load_dataset(args)
    prepared = prepare(dataset, seed=args.seed)
    with threadpool_limits(1):  # one thread, as in the app's workers: the bundle's cluster.py agrees
        choice = None
        if algorithm.k_param is not None and k is None:
            choice = choose_k(prepared, algorithm.key, params=params, seed=args.seed)
            k = choice.recommended
        if algorithm.k_param is not None:
            params[algorithm.k_param] = k
        fit = fit_clusters(prepared, algorithm.key, params, seed=args.seed)
    column = free_column(dataset)
    if output is not None:
        output.write_bytes(labelled_csv(dataset, {column: fit.labels}))
    result = _result(dataset, prepared, fit, choice, args.seed)
    result["output"] = None if output is None else {"path": str(output), "column": column}
    if args.json:
        print_json(result)
    else:
        _print_text(result, algorithm.name)
    return 0


def _k(text: str | None, algorithm: Algorithm) -> int | None:
    """The number of clusters asked for; None for 'auto' (or an algorithm that finds it itself)."""
    if algorithm.k_param is None:
        if text is not None:
            raise MLCoreError(
                f"{algorithm.name} finds the number of clusters by itself, so --k does not apply to it.",
                "Leave out --k, or use --algorithm kmeans, agglomerative or gmm to choose it.",
            )
        return None
    if text is None or text.strip().lower() == AUTO:
        return None
    try:
        return int(text)
    except ValueError:
        raise MLCoreError(
            f"--k must be a whole number or 'auto'; got '{text}'.", "For example --k 4."
        ) from None


def _params(pairs: list[str], algorithm: Algorithm) -> dict[str, Any]:
    """`--param NAME=VALUE` pairs as settings ('none' for no value); `Algorithm.resolve` checks them."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise MLCoreError(f"'{pair}' is not a setting.", "Write it as NAME=VALUE, e.g. --param eps=0.3.")
        name = name.strip()
        if name == algorithm.k_param:
            raise MLCoreError(
                "The number of clusters is set with --k.", f"Use --k instead of --param {name}=…."
            )
        params[name] = None if value.strip().lower() == "none" else value.strip()
    algorithm.resolve(params)
    return params


def _result(
    dataset: Dataset, prepared: Prepared, fit: ClusterFit, choice: KChoice | None, seed: int
) -> dict[str, Any]:
    """Everything the command reports, as plain data (the sentences as plain text)."""
    from dataclasses import asdict

    from mlcore.discover.agreement import compare_with_target
    from mlcore.discover.errors import DiscoverError
    from mlcore.discover.export import cluster_sizes
    from mlcore.discover.profiles import describe_clusters
    from mlcore.discover.silhouettes import silhouette_values
    from mlcore.monitor.report import plain_text
    from mlcore.schema import Task

    sizes = cluster_sizes(fit.labels)
    profiles = describe_clusters(dataset, fit.labels)
    described = [*profiles.clusters, *([profiles.noise] if profiles.noise else [])]
    try:
        found = silhouette_values(prepared, fit.labels, seed)
        silhouette = {"mean": found.mean, "rows": len(found.values), "note": found.note}
    except DiscoverError as exc:  # one cluster, or too few clustered rows: nothing to compare
        silhouette = {"mean": None, "rows": 0, "note": exc.message}
    agreement = None
    if dataset.target is not None and dataset.task is Task.CLASSIFICATION:
        compared = compare_with_target(dataset, fit.labels)
        agreement = {
            "target": compared.target,
            "scores": {s.key: s.value for s in compared.scores},
            "names": {s.key: s.name for s in compared.scores},
            "contingency": compared.contingency.to_dict(orient="index"),
            "note": compared.note,
        }
    return {
        "dataset": dataset.name,
        "rows": dataset.n_rows,
        "features": [str(c) for c in fit.pipeline.steps[0][1].feature_names_in_],
        "target": dataset.target,
        "left_out": prepared.note,
        "algorithm": fit.algorithm,
        "estimator": fit.estimator_name,
        "params": dict(fit.params),
        "seed": fit.seed,
        "k_choice": None
        if choice is None
        else {
            "recommended": choice.recommended,
            "elbow": choice.elbow,
            "reason": choice.reason,
            "best": dict(choice.best),
            "scores": [asdict(s) for s in choice.scores],
            "note": choice.note,
        },
        "note": fit.note,
        "clusters": sizes["count"],
        "sizes": sizes["sizes"],
        "noise": sizes["noise"],
        "profiles": [
            {"cluster": p.name, "rows": p.size, "share": p.share, "sentence": plain_text(p.sentence)}
            for p in described
        ],
        "profiles_note": profiles.note,
        "silhouette": silhouette,
        "agreement": agreement,
    }


def _print_text(result: dict[str, Any], name: str) -> None:
    features = result["features"]
    print(f"{result['dataset']}: {result['rows']:,} rows, {len(features)} feature(s): {', '.join(features)}")
    if result["target"]:
        print(f"target '{result['target']}': not a feature; its classes are compared with the clusters")
    choice = result["k_choice"]
    if choice is not None:
        print(
            f"choosing k from {choice['scores'][0]['k']} to {choice['scores'][-1]['k']}: {choice['reason']}"
        )
    settings = ", ".join(f"{k}={v}" for k, v in result["params"].items())
    print(f"{name} ({result['estimator']}), {settings}, seed {result['seed']}")
    for note in (result["left_out"], result["note"], result["profiles_note"]):
        if note:
            print(f"note: {note}", file=sys.stderr)
    print()
    for profile in result["profiles"]:
        print(f"  {profile['rows']:>7,} rows  {profile['sentence']}")
    print()
    silhouette = result["silhouette"]
    mean = silhouette["mean"]
    measured = "not computed." if mean is None else f"mean {mean:.3f} (−1 to 1, higher is better)."
    print(" ".join(p for p in ("silhouette:", measured, silhouette["note"]) if p))
    agreement = result["agreement"]
    if agreement is not None:
        scores = ", ".join(f"{agreement['names'][k]} {v:.3f}" for k, v in agreement["scores"].items())
        print(
            " ".join(
                p for p in (f"agreement with '{agreement['target']}': {scores}.", agreement["note"]) if p
            )
        )
    if result["output"] is not None:
        print(f"wrote {result['output']['path']} (each row's cluster in '{result['output']['column']}')")
