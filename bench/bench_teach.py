"""Teach: the overfitting panel's update after a slider move, and a four-model decision-boundary figure.

1. The overfitting panel: `fit_at` + `boundary_grid(resolution=200)` + `boundary_figure` on 500
   noisy-moons rows (noise 0.3), at the slowest value of each knob (found by timing every value once).
   Target: at most 0.5 s. Reference: the same fit alone.
2. Decision boundaries of four models trained with the workbench's `train_model` (logistic
   regression, decision tree, k-NN, RBF SVM) on 500 moons rows: four `boundary_grid` at 200×200 and
   one `boundary_figure`. Target: at most 1 s. Reference: the four models' `predict_proba` (`predict`
   for the SVM, which has no probabilities) on the same 40,000 grid points alone.

Best of 5 (`ROUNDS`), single-threaded (`threadpool_limits(1)`, like the app's workers).
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from bench.common import best_time, markdown_table, write_section
from mlcore.data.generators import GeneratorSpec, Shape, generate
from mlcore.teach.boundaries import boundary_grid
from mlcore.teach.overfitting import KNOBS, Knob, fit_at
from mlcore.teach.plots import boundary_figure
from tests.unit.model_helpers import train

ROWS = 500
RESOLUTION = 200
ROUNDS = 5
MODELS = ("logistic_regression", "decision_tree", "knn", "rbf_svm")
TARGET_PANEL = 0.5
TARGET_FIGURE = 1.0


def _panel() -> list[list[object]]:
    frame = generate(GeneratorSpec(Shape.MOONS, n_samples=ROWS, noise=0.3)).frame

    def update(knob: Knob, value: object) -> object:
        scores = fit_at(frame, "target", knob, value, seed=0)
        grid = boundary_grid(scores.pipeline, frame, "x1", "x2", resolution=RESOLUTION, title=knob.model)
        return boundary_figure([grid], frame, "target")

    rows = []
    for knob in KNOBS.values():
        once = {v: best_time(partial(update, knob, v), repeat=1) for v in knob.values}
        slowest = max(once, key=once.get)
        fit = best_time(partial(fit_at, frame, "target", knob, slowest, 0), ROUNDS)
        total = best_time(partial(update, knob, slowest), ROUNDS)
        rows.append(
            [
                f"{knob.model}, {knob.label} = {slowest}",
                f"{total * 1000:.0f} ms",
                f"{fit * 1000:.0f} ms (fit alone)",
                f"{total / fit:.1f}×",
                f"≤ {TARGET_PANEL * 1000:.0f} ms {'✓' if total <= TARGET_PANEL else '✗'}",
            ]
        )
    return rows


def _four_models() -> list[object]:
    dataset = generate(GeneratorSpec(Shape.MOONS, n_samples=ROWS, noise=0.3))
    frame = dataset.frame
    runs = [train(dataset, key) for key in MODELS]
    grid = boundary_grid(runs[0].pipeline, frame, "x1", "x2", resolution=RESOLUTION)
    gx, gy = np.meshgrid(grid.xs, grid.ys)
    points = pd.DataFrame({"x1": gx.ravel(), "x2": gy.ravel()})

    def reference() -> None:
        for run in runs:
            model = run.pipeline
            (model.predict_proba if hasattr(model, "predict_proba") else model.predict)(points)

    def ours() -> object:
        grids = [boundary_grid(r.pipeline, frame, "x1", "x2", RESOLUTION, r.model_name) for r in runs]
        return boundary_figure(grids, frame, "target")

    ref, total = best_time(reference, ROUNDS), best_time(ours, ROUNDS)
    return [
        f"four models ({', '.join(r.model_name for r in runs)}), {RESOLUTION}×{RESOLUTION} grid",
        f"{total * 1000:.0f} ms",
        f"{ref * 1000:.0f} ms (predictions alone)",
        f"{total / ref:.1f}×",
        f"≤ {TARGET_FIGURE * 1000:.0f} ms {'✓' if total <= TARGET_FIGURE else '✗'}",
    ]


def main() -> None:
    began = time.perf_counter()
    with threadpool_limits(1):
        rows = [*_panel(), _four_models()]
    body = "\n".join(
        [
            __doc__.split("\n\n", 1)[1].strip(),
            "",
            markdown_table(
                ["measurement", "ours", "reference (same run)", "ours / reference", "target"], rows
            ),
        ]
    )
    write_section("teach", "Teach: the overfitting panel and decision boundaries", body)
    print(f"measuring took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
