"""The Deploy page's example requests: hostile column names and values stay data in every language."""

from __future__ import annotations

import ast
import json
import shlex

from mlcore.serve.examples import curl_example, javascript_example, python_example

ROW = {"it's": "a'b", 'say "hi"': "$(rm -rf /)", "n": 1.5, "flag": None}
URL = "http://127.0.0.1:8000"


def test_curl_example_quotes_the_body_as_one_shell_word():
    words = shlex.split(curl_example(URL, ROW, key_required=False).replace("\\\n", " "))
    assert words[:3] == ["curl", "-s", URL + "/predict"]
    assert json.loads(words[words.index("-d") + 1]) == {"records": [ROW]}
    assert "Authorization" not in " ".join(words)
    keyed = curl_example(URL, ROW, key_required=True)
    assert 'Authorization: Bearer $MLCORE_API_KEY"' in keyed


def test_python_example_is_valid_python_holding_the_row_as_a_literal():
    tree = ast.parse(python_example(URL, ROW, key_required=True))
    row = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "row")
    assert ast.literal_eval(row.value) == ROW
    imports = {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    assert imports == {"os", "requests"}


def test_javascript_example_holds_the_row_as_json():
    code = javascript_example(URL, ROW, key_required=False)
    line = next(x for x in code.splitlines() if x.startswith("const row = "))
    assert json.loads(line.removeprefix("const row = ").removesuffix(";")) == ROW
    assert "apiKey" not in code
