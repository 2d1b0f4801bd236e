"""The packed-array helpers: their fast paths give exactly what the plain ways give."""

import json

import numpy as np
import pandas as pd
import pytest

from data_ingest.packed import factorize_text, group_starts, json_arrays, nullable, sort_codes

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _plain(values: list, starts: np.ndarray) -> list[str]:
    return [_dumps(values[a:b]) for a, b in zip(starts[:-1], starts[1:], strict=True)]


@pytest.mark.parametrize(
    "values",
    [
        ["a", "b", "c"] * 8,  # the same array in every group
        [f"C{i}" for i in range(24)],  # plain text
        ["a", 'say "hi"', "back\\slash", "tab\there", "é", "x"] * 4,  # text that needs escaping
        ["a", None, "b"] * 8,  # text and null
        [1.5, None, -0.0, 1e300, 3.0, 2.25] * 4,  # numbers
        ["],[", "x", "a"] * 8,  # the separator inside a value
        [None] * 24,
        ["p", "q"] * 12,  # a few distinct arrays
    ],
)
@pytest.mark.parametrize("cuts", [[0, 24], [0, 6, 12, 18, 24], [0, 3, 4, 10, 24], [0, 0, 24]])
def test_json_arrays_are_the_plain_encoding(values, cuts):
    starts = np.array(cuts)
    assert json_arrays(values, starts) == _plain(values, starts)


def test_json_arrays_of_no_groups():
    assert json_arrays([], np.array([0])) == []


def test_group_starts():
    keys = [np.array([1, 1, 2, 2, 2]), np.array([5, 6, 6, 6, 7])]
    assert group_starts(keys).tolist() == [0, 1, 2, 4, 5]


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.Categorical(["b", "a", "c", "a", "b"])),
        pd.Series(pd.Categorical(["b", "a"], categories=["z", "b", "a"])),  # an unused category
        pd.Series(pd.Categorical(["b", None, "a"])),  # missing: pandas' own way
        pd.Series(["b", "a", "b"], dtype=object),
        np.array(["y", "x", "y"], dtype=object),
    ],
)
@pytest.mark.parametrize("sort", [False, True])
def test_factorize_text_is_pandas_factorize_of_the_objects(column, sort):
    codes, uniques = factorize_text(column, sort=sort)
    expected_codes, expected_uniques = pd.factorize(np.asarray(column, dtype=object), sort=sort)
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == list(expected_uniques)


def test_sort_codes_sort_like_the_values():
    column = pd.Series(pd.Categorical(["b", "a", "c", "a"], categories=["c", "b", "a"]))
    assert sort_codes(column).tolist() == [1, 0, 2, 0]


def test_nullable():
    assert nullable(np.array([1.5, np.nan])) == [1.5, None]
    reasons = np.array(["x", None, np.nan], dtype=object)
    assert nullable(reasons) == ["x", None, None]
    assert reasons[2] != reasons[2]  # the caller's array is left as it was (NaN)
    assert nullable(pd.Series([1, 2])) == [1, 2]
