"""train.py: cross-validate, refit and score exactly as the workbench did, and print the metrics."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np
from _script import FEATURES, SAMPLE_CAP, SEED, TARGET, TASK, build_pipeline, read_data, score, split_rows
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits


def sample_rows(positions, y, cap):
    """At most `cap` of these positions, stratified by class where possible, in their original order."""
    if cap is None or len(positions) <= cap:
        return positions
    try:
        kept, _ = train_test_split(
            positions,
            train_size=cap,
            random_state=SEED,
            stratify=y[positions] if TASK == "classification" else None,
        )
    except ValueError:
        kept = np.random.default_rng(SEED).choice(positions, cap, replace=False)
    return np.sort(kept)


def predict_scores(model, X):
    """Predictions and continuous scores; labels follow from the probabilities as in the workbench."""
    classes = getattr(model, "classes_", None)
    proba = decision = None
    if classes is not None:
        try:
            proba = model.predict_proba(X)
        except AttributeError:
            if hasattr(model, "decision_function"):
                decision = model.decision_function(X)
    if proba is not None:
        return classes[np.argmax(proba, axis=1)], proba, None
    if decision is not None and decision.ndim == 1:
        return classes[(decision > 0).astype(int)], None, decision
    return model.predict(X), None, decision


def summary(values, stat):
    values = np.asarray(values, dtype=float)
    return None if np.isnan(values).all() else float(stat(values))


def plain(number):
    return None if number != number else number


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the original data file")
    parser.add_argument("--save", help="write the model trained on the training rows to this .joblib file")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # convergence and similar warnings do not change the numbers
    threadpool_limits(1)  # one thread, as in the workbench: sums come out in the same order
    frame = read_data(args.data)
    X, y = frame[FEATURES], frame[TARGET].to_numpy()
    train, test, folds = split_rows(frame)
    template = build_pipeline()
    fold_scores = {}
    for i, (fit_pos, val_pos) in enumerate(folds, start=1):
        fit_rows = train[sample_rows(fit_pos, y[train], SAMPLE_CAP)]
        val_rows = train[val_pos]
        model = clone(template).fit(X.iloc[fit_rows], y[fit_rows])
        y_pred, proba, decision = predict_scores(model, X.iloc[val_rows])
        scores = score(TASK, y[val_rows], y_pred, proba, decision, getattr(model, "classes_", None))
        for name, value in scores.items():
            fold_scores.setdefault(name, []).append(value)
        print(f"fold {i}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()), file=sys.stderr)
    train_rows = train[sample_rows(np.arange(len(train)), y[train], SAMPLE_CAP)]
    model = clone(template).fit(X.iloc[train_rows], y[train_rows])
    holdout = {}
    if len(test):
        y_pred, proba, decision = predict_scores(model, X.iloc[test])
        holdout = score(TASK, y[test], y_pred, proba, decision, getattr(model, "classes_", None))
    if args.save:
        import joblib

        joblib.dump(model, args.save)
    result = {
        "cv_mean": {k: summary(v, np.nanmean) for k, v in fold_scores.items()},
        "cv_std": {k: summary(v, np.nanstd) for k, v in fold_scores.items()},
        "holdout": {k: plain(v) for k, v in holdout.items()},
    }
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
