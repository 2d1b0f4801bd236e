"""Values packed as parallel JSON arrays, one database row per group of values (models.RawValueSet,
models.IndicatorSet), and back to long tables.

Packing turns a bulk insert of hundreds of thousands of rows into a few thousand, and a group's
arrays are often identical from one group to the next (the same fields in every row of a wide
extract), so an array equal to the previous group's reuses its JSON text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def group_starts(keys: Sequence[np.ndarray]) -> np.ndarray:
    """Start positions of the runs of equal keys in rows already sorted by ``keys``, plus the end."""
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.append(np.flatnonzero(change), n)


def json_arrays(values: list, starts: np.ndarray) -> list[str]:
    """The JSON text of ``values[starts[i]:starts[i + 1]]`` for each group."""
    bounds = list(zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True))
    parts = [values[a:b] for a, b in bounds]
    if not parts:
        return []
    if all(part == parts[0] for part in parts):  # the same fields in every row of a wide table
        return [_dumps(parts[0])] * len(parts)
    texts = _text_arrays(values, parts)
    if texts is not None:
        return texts
    keys = [tuple(part) for part in parts]
    distinct = dict.fromkeys(keys)
    if len(distinct) * 4 <= len(parts):  # a few distinct arrays (indicator codes of totals, breakdowns)
        texts = {key: _dumps(list(key)) for key in distinct}
        return [texts[key] for key in keys]
    # One encoder call for all groups, then cut between them: "[[1,2],[3]]" -> "[1,2]", "[3]". Only
    # the n - 1 separators may contain "],[" (else some text does, and each group is encoded alone).
    text = _dumps(parts)
    if text.count("],[") == len(parts) - 1:
        return ["[" + piece + "]" for piece in text[2:-2].split("],[")]
    return [_dumps(part) for part in parts]


# What JSON must escape in a string (with ensure_ascii=False, as _dumps): quotes, backslashes, controls.
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _text_arrays(values: list, parts: list[list]) -> list[str] | None:
    """JSON arrays of plain text (field codes, cell references) written directly, much faster than
    the encoder; None when some element is not text or needs escaping. ``parts`` cut ``values``."""
    try:
        if _NEEDS_ESCAPE.search("".join(values)):
            return None
    except TypeError:  # not all text (None ...)
        return None
    return ['["' + '","'.join(part) + '"]' if part else "[]" for part in parts]


def nullable(array: np.ndarray | pd.Series) -> list:
    """Python values with None for missing (NaN is neither valid JSON nor a valid SQL parameter)."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        missing = np.isnan(array)
        if not missing.any():
            return array.tolist()
        return np.where(missing, None, array.astype(object)).tolist()
    missing = pd.isna(array)
    array = array.astype(object)  # a copy: None goes into it, not into the caller's array
    if missing.any():
        array[missing] = None
    return array.tolist()


def sort_codes(values: np.ndarray | pd.Series) -> np.ndarray:
    """Integer codes that sort like the values (for np.lexsort, which cannot sort text quickly)."""
    codes, _ = factorize_text(values, sort=True)
    return codes


def factorize_text(
    values: np.ndarray | pd.Series, *, sort: bool = False, use_na_sentinel: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of the values as Python objects: the same codes and distinct values.

    A categorical column without missing values is factorized through its integer codes: a wide
    extract's field codes and breakdowns are categoricals of 300,000 rows, and hashing their strings
    again costs about 15 ms a column."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        category = values.cat.codes.to_numpy(dtype=np.int64)
        if not (category < 0).any():
            codes, used = pd.factorize(category)  # in order of first appearance, as for the objects
            uniques = np.asarray(values.cat.categories, dtype=object)[used]
            if sort:
                rank, uniques = pd.factorize(uniques, sort=True)  # the few distinct values, sorted
                codes = rank[codes]
            return codes, uniques
    return pd.factorize(np.asarray(values, dtype=object), sort=sort, use_na_sentinel=use_na_sentinel)


def unpack(rows: Sequence[Sequence], scalars: Sequence[str], arrays: Sequence[str]) -> pd.DataFrame:
    """Rows of (scalars..., JSON arrays...) -> a long table, one row per array element; each
    scalar is repeated over the elements of its row."""
    columns = [*scalars, *arrays]
    if not rows:
        return pd.DataFrame(columns=columns)
    n_scalars = len(scalars)
    decoded = [[json.loads(text) for text in row[n_scalars:]] for row in rows]
    lengths = np.fromiter((len(d[0]) for d in decoded), dtype=np.int64, count=len(decoded))
    data: dict[str, object] = {}
    for i, name in enumerate(scalars):
        data[name] = np.repeat(np.array([row[i] for row in rows], dtype=object), lengths)
    for j, name in enumerate(arrays):
        flat: list = []
        for d in decoded:
            flat.extend(d[j])
        data[name] = flat
    return pd.DataFrame(data, columns=columns)
