"""`export FILE --target COL --model NAME -o BUNDLE.zip`: train one model and write its bundle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlcore.commands._shared import add_file_arguments, load_dataset
from mlcore.errors import MLCoreError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="train one model with the default preprocessing and write its bundle (.zip)"
    )
    add_file_arguments(parser)
    parser.add_argument("--model", required=True, help="model key, e.g. random_forest or xgboost")
    parser.add_argument("--seed", type=int, default=0, help="seed for every random step (default 0)")
    parser.add_argument("-o", "--output", required=True, help="the bundle to write (.zip)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    from mlcore.deploy.bundle import build_bundle
    from mlcore.train.fit import train_model, validate_request
    from mlcore.train.runs import ModelChoice, TrainRequest

    if not args.output.lower().endswith(".zip"):
        raise MLCoreError("The bundle is a zip file.", "Name the output with .zip, e.g. -o model.zip.")
    dataset = load_dataset(args)
    if dataset.target is None:
        raise MLCoreError("No target column was chosen or recognised.", "Name it with --target COLUMN.")
    request = TrainRequest(dataset, models=(ModelChoice(args.model),), seed=args.seed)
    split = validate_request(request)
    print(f"training {args.model} on {dataset.name} …", file=sys.stderr)
    with threadpool_limits(1):  # one thread, as in the app's workers: train.py reproduces it exactly
        run_ = train_model(request, request.models[0], split)
    if not run_.ok:
        raise MLCoreError(f"{run_.model_name} failed: {run_.message}", "Try another model.")
    bundle = build_bundle(run_, dataset)
    Path(args.output).write_bytes(bundle.zip_bytes())
    for note in bundle.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {args.output} ({', '.join(bundle.files)})")
    return 0
