"""The bundle's way to production without the workbench: `serve.py`, a `Dockerfile` and a README.

`serve.py` is the workbench's own API (`mlcore.deploy.rest_api`) and the Predict page's rules for new
rows (`mlcore.deploy.row_rules`), both carried as they are (neither imports `mlcore`), then a short
part that loads `model.joblib` and reads its inputs from `model_card.json`. So the container answers
exactly as the Deploy page's server and the Predict page do; tests run it in a fresh virtual
environment holding only the bundle's `requirements.txt`.
"""

from __future__ import annotations

import inspect
import platform
from functools import cache

from mlcore.deploy import rest_api, row_rules
from mlcore.deploy.codegen import check_script, module_parts, template
from mlcore.deploy.input_schema import MAX_LEVELS
from mlcore.deploy.source_writer import SourceWriter, import_block, text_literal
from mlcore.markup import markdown_text

SERVER_REQUIREMENTS = (  # serve.py's libraries and theirs, pinned so that a fresh install resolves the same
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "anyio",
    "idna",
    "sniffio",
    "uvicorn",
    "click",
    "h11",
    "httptools",  # uvicorn's C parser and event loop: about twice the requests answered per second
    "uvloop",
)
SERVE_FILES = ("serve.py", "model.joblib", "model_card.json")
OPEN_VARIABLE = "MLCORE_OPEN_API"
ORIGINS_VARIABLE = "MLCORE_CORS_ORIGINS"
PORT = 8000
USER_ID = 10001  # the container's user without privileges, numeric so any host resolves it
CARRIED = (row_rules, rest_api)  # in this order: the API's part uses nothing of the rules' part

_SERVE_DOCSTRING = f"""This bundle's model as a REST API, with nothing of the ML Workbench installed.

    pip install -r requirements.txt
    {rest_api.KEY_VARIABLE}=choose-a-key uvicorn serve:app --host 127.0.0.1 --port {PORT}

Then POST /predict ({{"records": [{{...}}]}}), /invocations (MLflow's dataframe_records or
dataframe_split), /predict/csv; GET /health, /ready, /metadata; interactive docs at /docs.
Requests send the key as `Authorization: Bearer <key>`; {OPEN_VARIABLE}=1 serves without one (only
behind a gateway that checks callers). {ORIGINS_VARIABLE}=https://a.example,https://b.example
allows browsers on those origins (CORS is off otherwise).

Loads model.joblib (plain scikit-learn + joblib) and reads its inputs from model_card.json; the rules
for new rows are the workbench's own, so the answers are those of its Predict page.
"""


@cache
def serve_script() -> str:
    """The standalone server (see the module docstring); the same for every bundle, so made once."""
    parts = [module_parts(inspect.getsource(module)) for module in CARRIED]
    footer = template("serving")
    constants = [
        f"OPEN_VARIABLE = {text_literal(OPEN_VARIABLE)}",
        f"ORIGINS_VARIABLE = {text_literal(ORIGINS_VARIABLE)}",
        f"MAX_LEVELS = {MAX_LEVELS}  # a feature listing fewer levels than this lists every training level",
    ]
    imports = [line for part in (*parts, footer) for line in part.imports]
    source = "\n".join(
        [
            f'"""{_SERVE_DOCSTRING}"""',
            "from __future__ import annotations",
            "",
            import_block(SourceWriter(0), imports),
            "",
            *constants,
            "",
            *[f"{part.code}\n\n" for part in parts],
            footer.code,
        ]
    )
    return check_script(source.rstrip() + "\n", _SERVE_DOCSTRING)


@cache
def dockerfile() -> str:
    """A container serving the bundle: slim Python of the version that pickled the model, the bundle's
    pinned requirements, a user without privileges, a health check, uvicorn on serve.py."""
    python = ".".join(platform.python_version_tuple()[:2])
    health = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{PORT}/health', timeout=4)"
    return f"""# This bundle's model as a REST API (see README.md):
#   docker build -t my-model .
#   docker run -p {PORT}:{PORT} -e {rest_api.KEY_VARIABLE}=choose-a-key my-model
# model.joblib loads only on Python {python}, the version that saved it.
FROM python:{python}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    UVICORN_HOST=0.0.0.0 \\
    UVICORN_PORT={PORT}

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \\
    && useradd --create-home --uid {USER_ID} model
COPY --chown={USER_ID}:{USER_ID} {" ".join(SERVE_FILES)} ./
USER {USER_ID}

EXPOSE {PORT}
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\
    CMD ["python", "-c", "{health}"]
CMD ["uvicorn", "serve:app"]
"""


def readme(title: str) -> str:
    """The bundle's README: what each way of using the model needs."""
    key = rest_api.KEY_VARIABLE
    return f"""# {markdown_text(title)}

Exported from the ML Workbench. `model_card.md` says what the model was trained on and how well it does.

## Predict a file

    pip install -r requirements.txt
    python predict.py new_rows.csv -o predictions.csv

## Serve it as a REST API

    pip install -r requirements.txt
    {key}=choose-a-key uvicorn serve:app --host 127.0.0.1 --port {PORT}

    curl -s http://127.0.0.1:{PORT}/predict -H "Authorization: Bearer choose-a-key" \\
         -H "Content-Type: application/json" -d '{{"records": [{{...one row...}}]}}'

`GET /metadata` lists every input with its type, levels or range; `/docs` is the interactive documentation.
`/invocations` takes MLflow's formats (`dataframe_records`, `dataframe_split`), so clients written for
`mlflow models serve` work unchanged; `/predict/csv` takes a CSV body and returns the rows with their
predictions. A missing field, a wrong type or an unknown field gets a 422 listing what to fix; a
category never seen in training is predicted as an unknown level and flagged in the answer.

The server refuses to start without a key ({key}) unless `{OPEN_VARIABLE}=1` (only behind a gateway
that checks callers). `{ORIGINS_VARIABLE}` lists browser origins allowed by CORS (off by default).

## In a container

    docker build -t my-model .
    docker run -p {PORT}:{PORT} -e {key}=choose-a-key my-model

The image runs as a user without privileges, checks `/health` every 30 s, and needs nothing of the
workbench: only the libraries pinned in `requirements.txt`.
"""
