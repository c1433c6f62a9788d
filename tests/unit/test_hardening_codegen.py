"""Issue 11, item 3: user strings in the generated scripts are literals, never code."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from model_helpers import run_script, train

from mlcore.data.loading import load_path
from mlcore.dataset import set_target
from mlcore.deploy.bundle import bundle_code
from mlcore.deploy.card import run_metrics
from mlcore.deploy.codegen import check_script
from mlcore.deploy.source_writer import CodegenError
from mlcore.train.split import SplitSpec


def _printed_metrics(script: str, data: Path, tmp_path: Path) -> dict:
    """Run a generated train.py in a plain interpreter on the original file; its last line, parsed."""
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "train.py").write_text(script)
    done = run_script(folder, "train.py", str(data))
    return json.loads(done.stdout.strip().splitlines()[-1])


def _payload(marker: Path) -> str:
    """Code that leaves a file behind if it ever runs."""
    return f'__import__("pathlib").Path({str(marker)!r}).touch()'


def test_quotes_file_name_and_code_in_target_name_do_not_inject_into_train_py(tmp_path):
    marker = tmp_path / "pwned"
    target = f'y"""\n{_payload(marker)}\n"""'
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b\\'''\"": rng.normal(size=60)})
    frame[target] = np.where(frame["a"] > 0, "p", "n")
    path = tmp_path / '"""\'\'\'""".csv'
    frame.to_csv(path, index=False)
    dataset = set_target(load_path(path), target)
    run = train(dataset, "logistic_regression")
    script = bundle_code(run, dataset).files["train.py"]
    module = ast.parse(script)
    docstring = ast.get_docstring(module, clean=False)
    assert path.name in docstring  # the name reads as itself
    assert not [n for n in module.body[1:] if isinstance(n, ast.Expr)]  # nothing but our statements
    assert _printed_metrics(script, path, tmp_path) == run_metrics(run)
    assert not marker.exists()


@pytest.mark.parametrize(
    "source",
    [
        '"""Doc."""\nimport os\nos.system("true")\n',  # a statement we never write
        '"""Doc."""\n"""another string"""\n',  # a second docstring-like expression
        '"""Doc."""\nif True:\n    pass\n',  # a guard that is not the __main__ one
        '"""Doc."""\nx.y = 1\n',  # an assignment to something other than a name
        '"""Other."""\n',  # not the docstring we wrote
        '"""Doc.\n',  # does not even parse
    ],
)
def test_check_script_refuses_what_we_did_not_generate(source):
    with pytest.raises(CodegenError):
        check_script(source, "Doc.")


def test_check_script_passes_our_own_shape():
    source = (
        '"""Doc."""\nimport os\n\nA, B = 1, 2\n\n\ndef main():\n    os.getcwd()\n\n\n'
        'if __name__ == "__main__":\n    main()\n'
    )
    assert check_script(source, "Doc.") == source


def test_train_py_reads_thousands_and_day_first_dates_as_the_workbench_did(tmp_path):
    """Item 14's reading (1,234 as numbers, 25/02/2024 day first) must be mirrored by train.py, or its
    metrics would differ from the app's."""
    rng = np.random.default_rng(1)
    n = 120
    income = rng.integers(1_000, 90_000, n)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    frame = pd.DataFrame(
        {
            "income": [f"{v:,}" for v in income],  # "12,345"
            "when": days.strftime("%d/%m/%Y"),  # "25/02/2024": day first
            "label": np.where(income + rng.normal(0, 9_000, n) > 45_000, "rich", "poor"),
        }
    )
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    dataset = set_target(load_path(path), "label")
    assert dataset.read_info.thousands_columns == ("income",) and dataset.read_info.day_first
    assert dataset.frame["income"].tolist() == [float(v) for v in income]
    run = train(dataset, "random_forest", split=SplitSpec(cv_folds=2))
    script = bundle_code(run, dataset).files["train.py"]
    assert _printed_metrics(script, path, tmp_path) == run_metrics(run)


def test_text_columns_differing_only_in_punctuation_keep_their_own_column_lists():
    """Regression: parts `text_a"b` and `text_a'b` (as Prepare names them) both became the constant
    TEXT_A_B_COLUMNS, and the generated script read one column for both."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer

    from mlcore.deploy.source_writer import pipeline_code

    prep = ColumnTransformer(
        [('text_a"b', TfidfVectorizer(), ['a"b']), ("text_a'b", TfidfVectorizer(), ["a'b"])]
    )
    expression, writer = pipeline_code(prep, seed=0)
    lists = {name: columns for name, columns in writer.constants.items() if name.startswith("TEXT_A_B")}
    assert sorted(lists.values()) == [['a"b'], ["a'b"]]
    assert all(name in expression for name in lists)
