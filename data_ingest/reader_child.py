"""The reader's child process: calamine reads the workbook there, under a memory and time limit.

Kept apart from readers.py, with only the standard-library imports it needs, because the child
runs this file on its own for every upload (``readers._CalamineRun``): a smaller module starts
faster. No relative imports: the child loads this file by path, outside the package.
"""

from __future__ import annotations

import datetime
import io
import json
import sys
from array import array
from typing import Any


def _tidy(raw: list[list[Any]]) -> list[list[Any]]:
    """'' -> None, then drop fully empty trailing rows and columns."""
    rows = [[None if value == "" else value for value in row] for row in raw]
    while rows and all(value is None for value in rows[-1]):
        rows.pop()
    width = 0
    for row in rows:
        n = len(row)
        while n > width and row[n - 1] is None:
            n -= 1
        width = max(width, n)
    if any(len(row) > width for row in rows):
        rows = [row[:width] if len(row) > width else row for row in rows]
    return rows


def _calamine_worker(data: bytes, max_cells: int) -> tuple[Any, ...]:
    """Read every worksheet with calamine. Runs in the child process (or in-process if asked)."""
    try:
        from python_calamine import CalamineWorkbook, SheetTypeEnum

        skip = [getattr(SheetTypeEnum, name, None) for name in ("ChartSheet", "Vba")]  # not hashable
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for meta in book.sheets_metadata:
            if meta.typ in skip:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            end = sheet.end
            if end is None:
                sheets.append((meta.name, []))
                continue
            n_rows, n_cols = end[0] + 1, end[1] + 1
            if n_rows * n_cols > max_cells:
                return ("too-large", meta.name, n_rows, n_cols)
            sheets.append((meta.name, _tidy(sheet.to_python(skip_empty_area=False))))
        return ("ok", sheets)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's Rust panics arrive as a BaseException subclass
        kind = "password" if type(exc).__name__ == "PasswordError" else "error"
        return (kind, f"{type(exc).__name__}: {exc}"[:500])


_DATE_TAGS = {"date": datetime.date, "datetime": datetime.datetime, "time": datetime.time}


def _encode_cell(value: object) -> dict:
    """JSON for the cell types calamine returns besides str, numbers, bool and None."""
    if isinstance(value, datetime.timedelta):
        return {"timedelta": value.total_seconds()}
    for tag in ("datetime", "date", "time"):  # datetime before date: it is a date too
        if isinstance(value, _DATE_TAGS[tag]):
            return {tag: value.isoformat()}
    raise TypeError(f"cannot send a {type(value).__name__} from the reader process")


def _decode_cell(obj: dict) -> object:
    ((tag, value),) = obj.items()
    if tag == "timedelta":
        return datetime.timedelta(seconds=float(value))
    return _DATE_TAGS[tag].fromisoformat(value)


def _encode_result(result: tuple[Any, ...]) -> bytes:
    """The child's answer: a line of JSON, then (for a read workbook) the numeric cells as raw float64.

    A sheet of figures is mostly numbers, and decoding 300,000 floats from JSON costs the server more
    than the whole rest of this exchange; raw doubles are data only, like JSON (never pickle: the
    child parses hostile files). Each sheet travels as its row lengths, the flat positions and JSON
    values of its cells that are not floats (text, None, int, bool, dates), and its cells as doubles
    (0.0 where the cell is not a float)."""
    if result[0] != "ok":
        return json.dumps(result, default=_encode_cell).encode("utf-8") + b"\n"
    numbers = array("d")
    sheets = []
    for name, rows in result[1]:
        flat = [value for row in rows for value in row]
        at = [i for i, value in enumerate(flat) if type(value) is not float]
        others = [flat[i] for i in at]
        for i in at:
            flat[i] = 0.0
        numbers.extend(flat)
        sheets.append([name, [len(row) for row in rows], at, others])
    header = json.dumps(["ok", sheets], default=_encode_cell).encode("utf-8")
    return header + b"\n" + numbers.tobytes()  # JSON text holds no raw newline: the line ends here


def _decode_result(out: bytes) -> tuple[Any, ...]:
    """The child's answer back as (status, ...) with each sheet's rows; ValueError if malformed."""
    header, newline, binary = out.partition(b"\n")
    if not newline:
        raise ValueError("no header line")
    result = json.loads(header, object_hook=_decode_cell)
    if not isinstance(result, list) or not result:
        raise ValueError("not a result")
    if result[0] != "ok":
        return tuple(result)
    numbers = array("d")
    numbers.frombytes(binary)  # ValueError unless a whole number of doubles
    sheets, start = [], 0
    for name, lengths, at, others in result[1]:
        n = sum(lengths)
        if start + n > len(numbers) or len(at) != len(others):
            raise ValueError("cell counts do not match")
        flat = numbers[start : n + start].tolist()
        start += n
        for i, value in zip(at, others, strict=True):
            if not 0 <= i < n:
                raise ValueError("cell position out of range")
            flat[i] = value
        rows, offset = [], 0
        for length in lengths:
            rows.append(flat[offset : offset + length])
            offset += length
        sheets.append((name, rows))
    if start != len(numbers):
        raise ValueError("cell counts do not match")
    return ("ok", sheets)


def _child_main() -> None:
    """Entry point of the child process: limits, stdin -> calamine -> JSON result on stdout."""
    max_cells, max_memory = int(sys.argv[2]), int(sys.argv[3])
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    except (ImportError, ValueError, OSError):
        pass
    data = sys.stdin.buffer.read()
    result = _calamine_worker(data, max_cells)
    sys.stdout.buffer.write(_encode_result(result))
    sys.stdout.flush()
