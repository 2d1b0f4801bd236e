"""Value cleaning: each convention seen in real returns, checked against hand-written expectations."""

import datetime as dt
import math

import numpy as np
import pytest

from data_ingest.cleaning import CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE, NOT_REPORTED, clean_values


@pytest.mark.parametrize(
    ("cell", "ftype", "value"),
    [
        (1165, "count", 1165.0),
        (1165.0, "count", 1165.0),
        ("1165", "count", 1165.0),
        ("1,165", "count", 1165.0),  # English thousands
        ("1.165", "count", 1165.0),  # continental thousands
        ("1 165", "count", 1165.0),  # space thousands
        ("1\u00a0165", "count", 1165.0),  # non-breaking space
        ("1\u202f165", "count", 1165.0),  # narrow no-break space (French typography)
        ("1,234,567", "count", 1234567.0),
        ("1.234.567", "count", 1234567.0),
        ("1,234.5", "amount", 1234.5),
        ("1.234,5", "amount", 1234.5),
        ("12,5", "percent", 12.5),  # decimal comma
        ("12.5", "percent", 12.5),
        ("45 %", "percent", 45.0),
        ("45%", "percent", 45.0),
        ("1.165", "number", 1.165),  # a ratio: the dot is a decimal point
        ("0,5", "number", 0.5),
        ("  42  ", "count", 42.0),
        ("-0.25", "number", -0.25),
        ("oui", "yes-no", 1.0),
        ("Sí", "yes-no", 1.0),
        ("NO", "yes-no", 0.0),
        ("non", "yes-no", 0.0),
        (True, "yes-no", 1.0),
        (0, "yes-no", 0.0),
        ("3", "level", 3.0),
    ],
)
def test_numbers_in_every_convention(cell, ftype, value):
    cleaned = clean_values([cell], ftype)
    assert cleaned.value[0] == pytest.approx(value)
    assert cleaned.reason[0] is None
    assert cleaned.problem[0] is None


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("..", NOT_AVAILABLE),
        (":", NOT_AVAILABLE),
        ("-", NOT_AVAILABLE),
        ("--", NOT_AVAILABLE),
        ("x", NOT_AVAILABLE),
        ("n/a", NOT_AVAILABLE),
        ("N/A", NOT_AVAILABLE),
        ("nd", NOT_AVAILABLE),
        ("c", CONFIDENTIAL),
        ("C", CONFIDENTIAL),
        ("z", NOT_APPLICABLE),
        ("s.o.", NOT_APPLICABLE),
        ("                  :", NOT_AVAILABLE),
        (None, NOT_REPORTED),
        ("", NOT_REPORTED),
        ("   ", NOT_REPORTED),
    ],
)
def test_missing_markers_are_missing_never_zero(cell, reason):
    cleaned = clean_values([cell], "count")
    assert math.isnan(cleaned.value[0])
    assert cleaned.reason[0] == reason
    assert cleaned.problem[0] is None


@pytest.mark.parametrize(
    ("cell", "ftype", "problem", "keeps_value"),
    [
        ("abc", "count", "not-a-number", False),
        ("12 persons", "count", "not-a-number", False),
        ("1,16,5", "count", "not-a-number", False),
        ("#N/A", "count", "excel-error", False),
        ("#DIV/0!", "percent", "excel-error", False),
        (dt.datetime(2024, 3, 1), "count", "date-not-number", False),
        (dt.date(2024, 3, 1), "percent", "date-not-number", False),
        (float("nan"), "count", "not-finite", False),
        (float("inf"), "amount", "not-finite", False),
        (-3, "count", "negative-value", False),
        ("-3", "amount", "negative-value", False),
        (101, "percent", "percent-out-of-range", False),
        (-1, "percent", "percent-out-of-range", False),
        ("maybe", "yes-no", "not-yes-no", False),
        (2, "yes-no", "not-yes-no", False),
        (4, "level", "level-out-of-range", False),
        (1.5, "level", "level-out-of-range", False),
        (True, "count", "not-a-number", False),
        (12.5, "count", "count-not-whole", True),  # a warning: the value is kept
    ],
)
def test_problems_have_codes(cell, ftype, problem, keeps_value):
    cleaned = clean_values([cell], ftype)
    assert cleaned.problem[0] == problem
    assert (not math.isnan(cleaned.value[0])) is keeps_value


def test_mixed_column_with_types_per_cell():
    cells = np.array([10, "..", "1.165", "oui", None], dtype=object)
    types = ["count", "count", "count", "yes-no", "percent"]
    cleaned = clean_values(cells, types)
    assert cleaned.value[[0, 2, 3]].tolist() == [10.0, 1165.0, 1.0]
    assert cleaned.reason.tolist() == [None, NOT_AVAILABLE, None, None, NOT_REPORTED]
