"""Example requests for a served model, from a real row: curl, Python `requests` and JavaScript
`fetch`, ready to paste. Column names and values are user data: each is written as a literal of its
language (JSON in a single-quoted shell word, a Python literal, a JSON literal in JavaScript), never
spliced in as code.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

KEY_PLACEHOLDER = "$MLCORE_API_KEY"


def example_row(rows: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """The first row's features as JSON values (missing as null, dates as ISO text), so that the
    Python literal and the JSON written from it hold no NaN."""
    if rows.empty:
        return {}
    return json.loads(rows[features].head(1).to_json(orient="records", date_format="iso"))[0]


def _shell_word(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_example(url: str, row: dict[str, Any], key_required: bool) -> str:
    body = json.dumps({"records": [row]}, ensure_ascii=False)
    lines = [f"curl -s {_shell_word(url + '/predict')}", "  -H 'Content-Type: application/json'"]
    if key_required:
        lines.append(f'  -H "Authorization: Bearer {KEY_PLACEHOLDER}"')
    lines.append(f"  -d {_shell_word(body)}")
    return " \\\n".join(lines)


def python_example(url: str, row: dict[str, Any], key_required: bool) -> str:
    headers = '{"Authorization": "Bearer " + os.environ["MLCORE_API_KEY"]}' if key_required else "{}"
    return "\n".join(
        [
            "import os" if key_required else "",
            "import requests",
            "",
            f"url = {url + '/predict'!r}",
            f"row = {row!r}",
            f"answer = requests.post(url, json={{'records': [row]}}, headers={headers}, timeout=30)",
            "answer.raise_for_status()",
            "print(answer.json())",
        ]
    ).lstrip("\n")


def javascript_example(url: str, row: dict[str, Any], key_required: bool) -> str:
    headers = (
        '{"Content-Type": "application/json"'
        + (', "Authorization": "Bearer " + apiKey' if key_required else "")
        + "}"
    )
    return "\n".join(
        [
            'const apiKey = "…";  // the key the server was started with' if key_required else "",
            f"const row = {json.dumps(row, ensure_ascii=False)};",
            f"const answer = await fetch({json.dumps(url + '/predict')}, {{",
            '  method: "POST",',
            f"  headers: {headers},",
            "  body: JSON.stringify({records: [row]}),",
            "});",
            "console.log(await answer.json());",
        ]
    ).lstrip("\n")
