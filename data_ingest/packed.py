"""Values packed as parallel JSON arrays, one database row per group of values (models.RawValueSet,
models.IndicatorSet), and back to long tables.

Packing turns a bulk insert of hundreds of thousands of rows into a few thousand, and a group's
arrays are often identical from one group to the next (the same fields in every row of a wide
extract), so an array equal to the previous group's reuses its JSON text.
"""

from __future__ import annotations

import json
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
    out: list[str] = []
    previous: list | None = None
    text = ""
    for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        part = values[a:b]
        if part != previous:
            text = _dumps(part)
            previous = part
        out.append(text)
    return out


def nullable(array: np.ndarray | pd.Series) -> list:
    """Python values with None for missing (NaN is neither valid JSON nor a valid SQL parameter)."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        missing = np.isnan(array)
        if not missing.any():
            return array.tolist()
        return np.where(missing, None, array.astype(object)).tolist()
    return pd.Series(array, dtype=object).where(pd.notna(array), None).tolist()


def sort_codes(values: np.ndarray | pd.Series) -> np.ndarray:
    """Integer codes that sort like the values (for np.lexsort, which cannot sort text quickly)."""
    codes, _ = pd.factorize(np.asarray(values, dtype=object), sort=True)
    return codes


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
