"""Analysis tables display rounded values (issue 16): counts as integers, statistics and durations with digits that
fit their size, times to the second; ``.df`` keeps full precision."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sharekit.analytics import SharingAnalytics
from sharekit.demo.audit_history import HistoryTruth
from sharekit.display.table import for_display

LONG_DECIMALS = re.compile(r"\d\.\d{4,}")


def test_anomaly_table_is_rounded_and_df_is_not(history: tuple[Path, HistoryTruth]) -> None:
    home, truth = history
    result = SharingAnalytics(home=home).detect_anomalies(start=truth.start, end=truth.end)
    assert not result.df.empty
    frame = result.df
    assert (frame["mean"] != frame["mean"].round(2)).any()  # the frame keeps its precision ...
    text, page = repr(result), result._repr_html_()
    assert not LONG_DECIMALS.search(text), text  # ... what is shown does not
    assert not LONG_DECIMALS.search(page.split("<img")[0])
    whole = frame["value"]  # a count the SQL returns as a double
    assert whole.dtype == "float64" and (whole == whole.round()).all()
    assert re.search(rf"\b{int(whole.iloc[0])}\b(?!\.)", text)


def test_most_accessed_shows_durations_with_two_digits(history: tuple[Path, HistoryTruth]) -> None:
    home, truth = history
    result = SharingAnalytics(home=home).most_accessed_tables(start=truth.start, end=truth.end)
    durations = result.df["avg_duration_ms"]
    assert (durations != durations.round(2)).any()
    shown = for_display(result.df)
    assert (shown["avg_duration_ms"] == durations.round(2)).all()
    assert not LONG_DECIMALS.search(repr(result))


def test_for_display_rules() -> None:
    frame = pd.DataFrame({"count": [1.0, 1119.0, None], "big": [1234.5678, 2.0, 3.0], "mid": [1.23456, 0.5, 9.999],
                          "small": [0.0123456, 0.001, None], "at": pd.to_datetime(["2026-01-01 10:00:01.123456"] * 3),
                          "name": ["a", "b", "c"]})
    shown = for_display(frame)
    assert str(shown["count"].dtype) == "Int64" and shown["count"].tolist()[:2] == [1, 1119]
    assert shown["big"].tolist() == [1234.6, 2.0, 3.0]
    assert shown["mid"].tolist() == [1.23, 0.5, 10.0]
    assert shown["small"].tolist()[:2] == [0.0123, 0.001]
    assert str(shown["at"].iloc[0]) == "2026-01-01 10:00:01"
    assert frame["big"].iloc[0] == 1234.5678 and str(frame["at"].iloc[0]).endswith(".123456")  # the input is kept
