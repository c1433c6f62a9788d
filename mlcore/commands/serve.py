"""`serve MODEL|BUNDLE.zip|NAME@ALIAS`: the model as a REST API (FastAPI under uvicorn) until Ctrl+C."""

from __future__ import annotations

import argparse
import contextlib
import os


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve a model as a REST API (/predict, /invocations, /predict/csv, /metadata, /docs)",
        description="Serve a registered model (NAME@ALIAS, NAME/VERSION), a project's run (its id) or an "
        "exported bundle (.zip) as a REST API. Only this machine can call it unless --host says otherwise, "
        "and then an API key is required.",
    )
    parser.add_argument("model", help="NAME@ALIAS, NAME/VERSION, a run id, or a bundle .zip / .skops")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--api-key", help="require 'Authorization: Bearer KEY' (or set MLCORE_API_KEY)")
    parser.add_argument("--cors", action="append", default=[], help="allow browser calls from this origin")
    parser.add_argument("--threshold", type=float, help="decision threshold for a binary classifier")
    parser.add_argument("--no-traffic-log", action="store_true", help="do not keep requests for monitoring")
    parser.add_argument("--record", help=argparse.SUPPRESS)  # the app's record file for this server
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mlcore.serve.server import KEY_VARIABLE, ServeOptions, serve
    from mlcore.track.home import workbench_home

    options = ServeOptions(
        args.host,
        args.port,
        args.api_key or os.environ.get(KEY_VARIABLE) or None,
        tuple(args.cors),
        args.threshold,
        not args.no_traffic_log,
    )

    def announce(record) -> None:
        print(f"Serving {record.model} (version {record.version}) at {record.url}", flush=True)
        print(f"Interactive docs: {record.url}/docs · Ctrl+C stops.", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        serve(args.model, workbench_home(), options, Path(args.record) if args.record else None, announce)
    return 0
