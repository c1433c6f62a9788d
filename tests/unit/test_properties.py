"""Property tests: whatever bytes or frames arrive, loading returns a Dataset or raises an mlcore error."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from mlcore.data.loading import load_bytes
from mlcore.dataset import Dataset
from mlcore.errors import MLCoreError
from mlcore.schema import infer_columns

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_or_explain(data: bytes) -> Dataset | None:
    try:
        dataset, _ = load_bytes(data, "fuzz.csv")
    except MLCoreError as exc:
        assert exc.message
        return None
    assert isinstance(dataset, Dataset)
    assert len(dataset.columns) == dataset.frame.shape[1]
    return dataset


@SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    _load_or_explain(data)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("ab1,;\t\n\"'.-e ")), max_size=300))
def test_arbitrary_delimited_text(text):
    _load_or_explain(text.encode())


frames = data_frames(
    columns=[
        column("num", dtype=float, elements=st.floats(allow_nan=True, allow_infinity=True, width=32)),
        column("cat", elements=st.sampled_from(["a", "b", "=x", " ", "ü", None])),
        column("int", dtype=int, elements=st.integers(-1000, 1000)),
    ],
    index=range_indexes(min_size=1, max_size=30),
)


@SETTINGS
@given(frames)
def test_written_frames_load_back_with_their_shape(frame):
    dataset = _load_or_explain(frame.to_csv(index=False).encode())
    assert dataset is not None
    assert dataset.frame.shape == frame.shape
    assert dataset.frame["int"].tolist() == frame["int"].tolist()
    numbers = pd.to_numeric(dataset.frame["num"], errors="coerce")
    assert not np.isinf(numbers.to_numpy(dtype=float)).any()  # infinities became missing


@SETTINGS
@given(frames)
def test_schema_inference_types_every_column(frame):
    infos = infer_columns(frame)
    assert [i.name for i in infos] == list(frame.columns)
    for info in infos:
        assert info.n_missing == int(frame[info.name].isna().sum())


@SETTINGS
@given(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=40))
def test_integers_written_with_thousands_separators_read_back_exactly(numbers):
    text = "n\n" + "".join(f'"{n:,}"\n' for n in numbers)
    dataset = _load_or_explain(text.encode())
    assert dataset is not None
    assert dataset.frame["n"].tolist() == numbers
    grouped = any(abs(n) >= 1000 for n in numbers)
    assert dataset.read_info.thousands_columns == (("n",) if grouped else ())


@SETTINGS
@given(st.lists(st.dates(date(1950, 1, 1), date(2049, 12, 31)), min_size=1, max_size=40), st.booleans())
def test_dates_read_back_in_the_order_their_values_show(days, day_first):
    written = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    dataset = _load_or_explain(("when\n" + "".join(f"{d:{written}}\n" for d in days)).encode())
    assert dataset is not None
    shown = any(d.day > 12 and d.day != d.month for d in days)
    info = dataset.read_info
    if shown:  # a day above 12 proves the order
        assert (info.day_first, info.ambiguous_dates) == (day_first, ())
        expected = days
    else:  # nothing does: month first is assumed, and said
        assert (info.day_first, info.ambiguous_dates) == (False, ("when",))
        expected = [date(d.year, d.day, d.month) if day_first else d for d in days]
    assert [t.date() for t in dataset.frame["when"]] == expected
