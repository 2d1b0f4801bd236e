"""Low-level spreadsheet reader: uploaded bytes -> sheets of cells, or one plain-language error.

Everything a municipality uploads goes through :func:`read_workbook`. It returns a :class:`Workbook` of
:class:`Sheet` objects whose cells sit exactly where Excel shows them (row 0 is Excel row 1, column 0
is column A), or raises :class:`UnreadableFile` with a stable ``code``, a ``message`` and a ``hint``
written for a municipal clerk. No other exception leaves :func:`read_workbook`, whatever the bytes.

How a bad upload is kept from crashing or exhausting the server (see shared/PITFALLS.md):

* the size is checked first; the type is decided by content, never by the file name;
* zip-based files (xlsx, xlsm, ods) are checked before any parsing: the number of entries (from the
  zip's end record, before :mod:`zipfile` builds its directory), then every entry is inflated in
  64 KiB chunks counting the real bytes against a budget and verifying its CRC, so sizes written in
  the zip headers are never trusted;
* the XML we parse ourselves goes through expat with a handler that refuses any document type
  declaration, so no entity is ever expanded;
* the declared ``<dimension>`` of every xlsx sheet is checked against ``max_cells`` before calamine
  starts, the extent of every ods table (repeated rows and columns included) while the memory-limited
  child reads it (before calamine when reading in-process), and every sheet's real extent again before
  calamine turns it into Python objects;
* calamine then runs in a child process with a memory and time limit, because some inputs make it
  abort the whole process (a Rust allocation failure cannot be caught): measured on 0.9.1 with a huge
  declared dimension, a cell far away in a sheet without dimension, a huge ``uniqueCount`` in
  ``sharedStrings.xml``, a huge DIMENSIONS record in an ``.xls`` and huge repeat counts in an ``.ods``.
  If the child dies, the upload gets a "damaged file" message and the server carries on.

What calamine cannot tell apart (blank cell, error value, formula without a saved result: all ``''``)
is recovered for xlsx/xlsm from a second look at the sheet XML, while the child process reads the
cells. It only happens for sheets whose XML contains a formula, an error value or a hidden row, and
it searches for those markers and parses just the elements around them (falling back to a streamed
parse of every element for unusual sheets), so ordinary sheets cost nothing extra and a totals
column of formulas very little.

Known limitations: for ``.xls`` and ``.ods`` files error values read as empty cells and
``error_cells``, ``uncached_formulas``, ``hidden_rows`` and ``hidden_columns`` stay empty; chart sheets
are skipped; encryption is recognised for OOXML files (``EncryptionInfo`` stream) and for ``.xls`` files
whose workbook stream starts with a FILEPASS record.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import os
import posixpath
import pyexpat
import re
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import reader_child
from .reader_child import _calamine_worker, _decode_result, _tidy

__all__ = [
    "DEFAULT_LIMITS",
    "ERROR_CODES",
    "Cell",
    "ReadLimits",
    "Sheet",
    "UnreadableFile",
    "Workbook",
    "detect_type",
    "read_workbook",
]

logger = logging.getLogger(__name__)

Cell = (
    str | float | int | bool | datetime.date | datetime.datetime | datetime.time | datetime.timedelta | None
)

ERROR_CODES = (
    "empty-file",
    "file-too-large",
    "unsupported-file-type",
    "encrypted-workbook",
    "too-many-zip-entries",
    "decompressed-too-large",
    "sheet-too-large",
    "corrupt-file",
    "no-sheets",
)


@dataclass
class Sheet:
    """One sheet as read. ``rows[r][c]`` is the cell at Excel row ``r + 1``, column ``c`` (0 = A)."""

    name: str
    rows: list[list[Cell]]
    error_cells: dict[tuple[int, int], str]
    uncached_formulas: set[tuple[int, int]]
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)


@dataclass
class Workbook:
    kind: str
    sheets: list[Sheet]
    encoding: str | None = None
    delimiter: str | None = None


class UnreadableFile(Exception):
    """The upload cannot be read at all. ``code`` is stable kebab-case (see ``ERROR_CODES``);
    ``message`` says what is wrong and ``hint`` what to do, both in plain language."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.hint))


@dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_decompressed_bytes: int = 200 * 1024 * 1024
    max_zip_entries: int = 2000
    max_cells: int = 5_000_000
    # The child process that runs calamine: its address-space limit and its time limit.
    max_parser_memory_bytes: int = 4 * 1024 * 1024 * 1024
    max_parser_seconds: float = 60.0
    # False reads with calamine in this process (only after all the checks above); for trusted batch jobs.
    isolate_parser: bool = True


DEFAULT_LIMITS = ReadLimits()

_CHUNK = 64 * 1024
_MAX_ROWS = 1_048_576
_MAX_COLS = 16_384

_KIND_NAMES = {
    "xlsx": "an Excel workbook (.xlsx)",
    "xlsm": "a macro-enabled Excel workbook (.xlsm)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "ods": "an OpenDocument spreadsheet (.ods)",
    "csv": "a CSV text file",
}
_ACCEPTED_HINT = (
    "Please upload the return as an Excel workbook (.xlsx, .xlsm or .xls), an OpenDocument "
    "spreadsheet (.ods) or a CSV file (.csv), for example the template you can download from the dashboard."
)
_RESAVE_HINT = (
    "Open the file in Excel or LibreOffice Calc, save it again as an Excel workbook (.xlsx) and "
    "upload the new copy. If that does not work, copy the data into the template."
)
_SHRINK_HINT = (
    "Remove sheets, pictures and data that are not part of the return (or copy the data into the "
    "template), save and upload again."
)


# ---------------------------------------------------------------------------------------------------
# Errors in plain language


def _empty_file(message: str) -> UnreadableFile:
    return UnreadableFile(
        "empty-file",
        message,
        "Check that you chose the right file and that it was saved completely, then upload it again.",
    )


def _unsupported(looks_like: str, hint: str = _ACCEPTED_HINT) -> UnreadableFile:
    return UnreadableFile("unsupported-file-type", f"This looks like {looks_like}, not a spreadsheet.", hint)


def _corrupt(kind: str | None, detail: str = "") -> UnreadableFile:
    what = _KIND_NAMES.get(kind or "", "a spreadsheet")
    message = f"The file could not be read: it looks like {what}, but it is damaged or incomplete."
    if detail:
        message = f"{message} {detail}"
    return UnreadableFile("corrupt-file", message, _RESAVE_HINT)


def _too_large_sheet(
    name: str, n_rows: int, n_cols: int, limits: ReadLimits, declared: bool
) -> UnreadableFile:
    cells = n_rows * n_cols
    says = "says it uses" if declared else "uses"
    return UnreadableFile(
        "sheet-too-large",
        f"The sheet '{name}' {says} {n_rows:,} rows and {n_cols:,} columns ({cells:,} cells); "
        f"at most {limits.max_cells:,} cells per sheet can be read.",
        "Delete the unused rows below and columns to the right of the data (select them, right-click, "
        "Delete), or copy the data into the template, then save and upload again.",
    )


def _decompressed_too_large(limits: ReadLimits) -> UnreadableFile:
    return UnreadableFile(
        "decompressed-too-large",
        f"Unpacked, this file would be larger than {_mb(limits.max_decompressed_bytes)}, far more than a "
        "yearly return needs. It may be damaged, or built to overload the system.",
        _SHRINK_HINT,
    )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


# ---------------------------------------------------------------------------------------------------
# Public entry points


def detect_type(data: bytes, *, limits: ReadLimits = DEFAULT_LIMITS) -> str:
    """Return "xlsx", "xlsm", "xls", "ods" or "csv", judged by the content only.

    Raises UnreadableFile for an empty file, anything that is not one of those ("unsupported-file-type",
    saying what it looks like), a password-protected workbook ("encrypted-workbook"), a damaged zip
    ("corrupt-file") or a zip with too many entries.
    """
    return _detect(data, limits)[0]


def read_workbook(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> Workbook:
    """Read every sheet of an uploaded file. Raises only UnreadableFile."""
    try:
        return _read_workbook(data, limits)
    except UnreadableFile:
        raise
    except Exception as exc:  # an unforeseen input must still become a message, never a traceback
        logger.exception("unexpected failure while reading an upload of %d bytes", len(data))
        raise _corrupt(None) from exc


def _read_workbook(data: bytes, limits: ReadLimits) -> Workbook:
    if not data:
        raise _empty_file("The file is empty: it contains no data at all.")
    if len(data) > limits.max_file_bytes:
        raise UnreadableFile(
            "file-too-large",
            f"The file is {_mb(len(data))}; the largest file that can be uploaded is "
            f"{_mb(limits.max_file_bytes)}.",
            _SHRINK_HINT + " Saving as .xlsx also makes the file much smaller than .xls or .csv.",
        )
    kind, payload = _detect(data, limits)
    if kind == "csv":
        text, encoding = payload
        return _read_csv(text, encoding, limits)
    if kind in ("xlsx", "xlsm"):
        return _read_with_calamine(data, kind, limits, _prepare_xlsx(data, kind, limits))
    if kind == "ods":
        return _read_with_calamine(data, kind, limits, _prepare_ods(data, limits))
    return _read_with_calamine(data, kind, limits, None)


# ---------------------------------------------------------------------------------------------------
# Type detection

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image (a photo or a scan)"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image (a scan)"),
    (b"MM\x00*", "a TIFF image (a scan)"),
    (b"{\\rtf", "an RTF text document"),
    (b"\x1f\x8b", "a compressed archive (.gz)"),
    (b"7z\xbc\xaf\x27\x1c", "a compressed archive (.7z)"),
    (b"Rar!\x1a\x07", "a compressed archive (.rar)"),
)
_ODS_MIMETYPES = (
    b"application/vnd.oasis.opendocument.spreadsheet",
    b"application/vnd.oasis.opendocument.spreadsheet-template",
)


def _detect(data: bytes, limits: ReadLimits) -> tuple[str, Any]:
    if not data:
        raise _empty_file("The file is empty: it contains no data at all.")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _detect_zip(data, limits), None
    if data.startswith(_OLE_MAGIC):
        return _detect_ole(data), None
    for magic, looks_like in _SIGNATURES:
        if data.startswith(magic):
            raise _unsupported(looks_like)
    _reject_markup(data)
    decoded = _decode_text(data)
    if decoded is None:
        raise UnreadableFile(
            "unsupported-file-type",
            "This file is neither a spreadsheet nor a CSV text file.",
            _ACCEPTED_HINT,
        )
    return "csv", decoded


def _reject_markup(data: bytes) -> None:
    """Web pages and XML saved with a spreadsheet name (common from older reporting systems)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table")):
        raise _unsupported(
            "a web page (HTML) saved with a spreadsheet name",
            "Open it in Excel, choose Save As > Excel Workbook (.xlsx) and upload the new file.",
        )
    if head.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise _unsupported(
                "an Excel 2003 XML spreadsheet",
                "Open it in Excel, choose Save As > Excel Workbook (.xlsx) and upload the new file.",
            )
        raise _unsupported("an XML file")


def _detect_zip(data: bytes, limits: ReadLimits) -> str:
    zf = _open_zip(data, limits, None)
    names = {_norm(info.filename): info for info in zf.infolist()}
    if "xl/workbook.xml" in names:
        if "xl/vbaproject.bin" in names:
            return "xlsm"
        types = names.get("[content_types].xml")
        if types is not None and b"macroenabled" in _read_entry(data, types, 1024 * 1024).lower():
            return "xlsm"
        return "xlsx"
    mimetype = names.get("mimetype")
    if mimetype is not None:
        value = _read_entry(data, mimetype, 256).strip()
        if value in _ODS_MIMETYPES:
            return "ods"
        if value.startswith(b"application/vnd.oasis.opendocument.text"):
            raise _unsupported("an OpenDocument text document (.odt)")
        if value.startswith(b"application/vnd.oasis.opendocument.presentation"):
            raise _unsupported("an OpenDocument presentation (.odp)")
        raise _unsupported("an OpenDocument file that is not a spreadsheet")
    if "xl/workbook.bin" in names:
        raise _unsupported(
            "an Excel binary workbook (.xlsb)",
            "Open it in Excel, choose Save As > Excel Workbook (.xlsx) and upload the new file.",
        )
    if "word/document.xml" in names:
        raise _unsupported("a Word document (.docx)")
    if "ppt/presentation.xml" in names:
        raise _unsupported("a PowerPoint presentation (.pptx)")
    raise _unsupported("a zip archive that does not contain a spreadsheet")


def _detect_ole(data: bytes) -> str:
    ole = _OleDirectory.parse(data)
    if ole is None:
        return "xls"  # let the reader decide; a damaged file becomes "corrupt-file" there
    names = ole.entries
    if "encryptioninfo" in names or "encryptedpackage" in names:
        raise _encrypted()
    if "workbook" in names or "book" in names:
        if ole.workbook_is_encrypted(data):
            raise _encrypted()
        return "xls"
    if "worddocument" in names:
        raise _unsupported("a Word 97-2003 document (.doc)")
    if "powerpoint document" in names:
        raise _unsupported("a PowerPoint 97-2003 presentation (.ppt)")
    if any(name.startswith("__substg1.0_") for name in names):
        raise _unsupported(
            "an Outlook e-mail message (.msg)", "Save the attached spreadsheet and upload that file."
        )
    raise _unsupported("an older Microsoft Office file that contains no spreadsheet")


def _encrypted() -> UnreadableFile:
    return UnreadableFile(
        "encrypted-workbook",
        "The workbook is protected with a password, so it cannot be read.",
        "Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, "
        "clear the password), save and upload the file again.",
    )


class _OleDirectory:
    """The stream names of an OLE2 compound file (the container of .xls and of encrypted .xlsx)."""

    def __init__(
        self,
        entries: dict[str, tuple[int, int]],
        fat: array,
        sector_size: int,
        n_sectors: int,
        mini_cutoff: int,
    ) -> None:
        self.entries = entries
        self.fat = fat
        self.sector_size = sector_size
        self.n_sectors = n_sectors
        self.mini_cutoff = mini_cutoff

    @classmethod
    def parse(cls, data: bytes) -> _OleDirectory | None:
        try:
            return cls._parse(data)
        except (struct.error, ValueError, IndexError, OverflowError):
            return None

    @classmethod
    def _parse(cls, data: bytes) -> _OleDirectory | None:
        if len(data) < 512:
            return None
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12):
            return None
        size = 1 << shift
        n_sectors = max(0, (len(data) - size) // size)
        num_fat, first_dir, _sig, mini_cutoff, _mf, _nmf, first_difat, num_difat = struct.unpack_from(
            "<8I", data, 44
        )
        fat_sectors = list(struct.unpack_from("<109I", data, 76))
        sector, seen = first_difat, set()
        while sector < n_sectors and sector not in seen and len(seen) < num_difat:
            seen.add(sector)
            values = struct.unpack_from(f"<{size // 4}I", data, (sector + 1) * size)
            fat_sectors.extend(values[:-1])
            sector = values[-1]
        fat = array("I")
        for sector in fat_sectors[: min(num_fat, n_sectors)]:
            if sector >= n_sectors:
                break
            fat.frombytes(data[(sector + 1) * size : (sector + 2) * size])
        if sys.byteorder == "big":
            fat.byteswap()
        entries: dict[str, tuple[int, int]] = {}
        sector, seen = first_dir, set()
        while sector < n_sectors and sector not in seen:
            seen.add(sector)
            offset = (sector + 1) * size
            for start in range(offset, offset + size, 128):
                entry = data[start : start + 128]
                if len(entry) < 128:
                    break
                name_len = struct.unpack_from("<H", entry, 64)[0]
                if entry[66] in (1, 2, 5) and 2 <= name_len <= 64:
                    name = entry[: name_len - 2].decode("utf-16-le", "replace").lower()
                    entries.setdefault(name, struct.unpack_from("<II", entry, 116))
            sector = fat[sector] if sector < len(fat) else 0xFFFFFFFE
        if not entries:
            return None
        return cls(entries, fat, size, n_sectors, mini_cutoff or 4096)

    def workbook_is_encrypted(self, data: bytes) -> bool:
        """True when the BIFF workbook stream carries a FILEPASS record (a password to open)."""
        start, length = self.entries.get("workbook") or self.entries.get("book") or (0, 0)
        if length < self.mini_cutoff:
            return False  # tiny streams live in the mini stream; not worth reading for this check
        head, sector, seen = bytearray(), start, set()
        while len(head) < 8192 and sector < self.n_sectors and sector not in seen:
            seen.add(sector)
            head += data[(sector + 1) * self.sector_size : (sector + 2) * self.sector_size]
            sector = self.fat[sector] if sector < len(self.fat) else 0xFFFFFFFE
        position = 0
        for _ in range(200):
            if position + 4 > len(head):
                break
            record, size = struct.unpack_from("<HH", head, position)
            if record == 0x002F:  # FILEPASS
                return True
            if record == 0x000A:  # EOF of the workbook globals
                break
            position += 4 + size
        return False


# ---------------------------------------------------------------------------------------------------
# Zip containers: entry count, streamed size budget, CRC


def _norm(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").lower()


def _too_many_entries(count: int, limits: ReadLimits) -> UnreadableFile:
    return UnreadableFile(
        "too-many-zip-entries",
        f"The file is made of {count:,} internal parts; a workbook has far fewer (at most "
        f"{limits.max_zip_entries:,} are accepted). It is probably not a normal spreadsheet.",
        _RESAVE_HINT,
    )


def _check_zip_directory(data: bytes, limits: ReadLimits) -> None:
    """Count the entries from the end-of-central-directory record, before zipfile reads them all."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        return  # zipfile will say it is not a zip
    count, directory_size = struct.unpack_from("<HI", data, end + 10)
    if (count == 0xFFFF or directory_size == 0xFFFFFFFF) and end >= 20:
        locator = end - 20
        if data[locator : locator + 4] == b"PK\x06\x07":
            (offset,) = struct.unpack_from("<Q", data, locator + 8)
            if data[offset : offset + 4] == b"PK\x06\x06" and offset + 56 <= len(data):
                count, directory_size = struct.unpack_from("<QQ", data, offset + 32)
    # A directory entry takes at least 46 bytes; a huge directory means a huge number of entries.
    if count > limits.max_zip_entries or directory_size > limits.max_zip_entries * 1024:
        raise _too_many_entries(max(count, directory_size // 46), limits)


def _open_zip(data: bytes, limits: ReadLimits, kind: str | None) -> zipfile.ZipFile:
    _check_zip_directory(data, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:
        raise _corrupt(kind, "Its internal (zip) structure is broken.") from exc
    if len(infos) > limits.max_zip_entries:
        raise _too_many_entries(len(infos), limits)
    return zf


def _entry_chunks(data: bytes, info: zipfile.ZipInfo, kind: str | None = None) -> Iterator[bytes]:
    """Inflate one entry from its raw bytes in chunks of at most 64 KiB, whatever its header claims.

    Counts real output, checks the CRC at the end and raises corrupt-file on any inconsistency.
    """
    if info.flag_bits & 0x1:
        raise _corrupt(kind, "Part of it is encrypted in a way spreadsheets never are.")
    offset = info.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04" or offset + 30 > len(data):
        raise _corrupt(kind, "Its internal (zip) structure is broken.")
    name_len, extra_len = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(data):
        raise _corrupt(kind, "It seems to have been cut off.")
    raw = memoryview(data)[start:end]
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for position in range(0, len(raw), _CHUNK):
            chunk = bytes(raw[position : position + _CHUNK])
            crc = zlib.crc32(chunk, crc)
            yield chunk
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        position = 0
        try:
            while not inflater.eof:
                if inflater.unconsumed_tail:
                    chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                elif position < len(raw):
                    chunk = inflater.decompress(raw[position : position + _CHUNK], _CHUNK)
                    position += _CHUNK
                else:
                    chunk = inflater.decompress(b"", _CHUNK)
                    if not chunk:
                        break
                if chunk:
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
        except zlib.error as exc:
            raise _corrupt(kind, "Part of its compressed content is damaged.") from exc
        if not inflater.eof:
            raise _corrupt(kind, "Part of its compressed content is cut off.")
    else:
        # Excel never writes other methods; zipfile can still read some, chunk by chunk.
        try:
            with zipfile.ZipFile(io.BytesIO(data)).open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
        except UnreadableFile:
            raise
        except Exception as exc:
            raise _corrupt(kind, "Part of its compressed content cannot be read.") from exc
    if crc != info.CRC:
        raise _corrupt(kind, "Part of its content does not match its checksum.")


def _read_entry(data: bytes, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The first ``limit`` bytes of an entry (never inflating more than about that)."""
    out = bytearray()
    chunks = _entry_chunks(data, info)
    try:
        for chunk in chunks:
            out += chunk
            if len(out) >= limit:
                return bytes(out[:limit])
    finally:
        chunks.close()
    return bytes(out)


class _SheetScanner:
    """Watches the chunks of one worksheet XML as they are inflated: keeps its head (for the
    dimension and the column settings) and notes whether the cells need the slower second pass."""

    HEAD = 64 * 1024
    # What may be an error value (t="e") or a hidden row, and what may start a formula (<f>, <x:f ...>,
    # confirmed by _FORMULA so that <formula> or <firstFooter> after the cells do not count). False alarms
    # only cost time; missing one would lose information, so the test is deliberately broad. Substring
    # tests first: a regular expression over every chunk was measured 8 times slower.
    _MARKERS = (b'"e"', b"'e'", b"hidden")
    _FORMULA = re.compile(rb"[<:]f[\s/>]")

    def __init__(self) -> None:
        self.head = bytearray()
        self.size = 0
        self.in_data = False
        self.needs_cell_pass = False
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.head) < self.HEAD:
            self.head += chunk[: self.HEAD - len(self.head)]
        if self.needs_cell_pass:
            return
        window = self._tail + chunk
        if not self.in_data:
            found = window.find(b"sheetData")
            if found < 0:
                self._tail = window[-16:]
                return
            self.in_data = True
            window = window[found:]
        if any(marker in window for marker in self._MARKERS) or (
            (b"<f" in window or b":f" in window) and self._FORMULA.search(window)
        ):
            self.needs_cell_pass = True
        self._tail = window[-16:]


def _check_zip_entries(
    data: bytes, zf: zipfile.ZipFile, watch: set[str], limits: ReadLimits, kind: str
) -> dict[str, _SheetScanner]:
    """Inflate every entry once, counting real bytes against the budget; scan the watched ones."""
    total = 0
    scanners: dict[str, _SheetScanner] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        name = _norm(info.filename)
        scanner = _SheetScanner() if name in watch else None
        for chunk in _entry_chunks(data, info, kind):
            total += len(chunk)
            if total > limits.max_decompressed_bytes:
                raise _decompressed_too_large(limits)
            if scanner is not None:
                scanner.feed(chunk)
        if scanner is not None:
            scanners[name] = scanner
    return scanners


# ---------------------------------------------------------------------------------------------------
# Safe, streamed XML (expat; a document type declaration is refused, so no entity is ever expanded)


class _StopParsing(Exception):
    pass


class _UnsafeXml(Exception):
    pass


def _refuse(*_args: object) -> None:
    raise _UnsafeXml


def _xml_parser(start: Callable[..., None], end: Callable[..., None] | None = None) -> Any:
    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    return parser


def _parse_xml(chunks: Iterator[bytes] | list[bytes], parser: Any, kind: str, *, final: bool = True) -> bool:
    """Feed chunks to a parser made by _xml_parser. True if parsing was stopped early on purpose.
    ``final=False`` for a document's first bytes only, which must not be checked for completeness."""
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        if final:
            parser.Parse(b"", True)
    except _StopParsing:
        return True
    except _UnsafeXml as exc:
        raise _corrupt(
            kind,
            "It contains a document type declaration, which spreadsheets never have, "
            "so it was not read, for safety.",
        ) from exc
    except pyexpat.ExpatError as exc:
        raise _corrupt(kind, "Part of its content is not valid.") from exc
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return False


def _local(tag: str) -> str:
    return tag[tag.rfind(":") + 1 :]


_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    """ "AB12" -> (11, 27): zero-based row and column."""
    match = _REF_RE.fullmatch(ref)
    if match is None:
        return None
    col = 0
    for letter in match.group(1).upper():
        col = col * 26 + ord(letter) - 64
    row = int(match.group(2))
    if row < 1:
        return None
    return row - 1, col - 1


def _is_true(value: str | None) -> bool:
    return value in ("1", "true")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


# ---------------------------------------------------------------------------------------------------
# xlsx / xlsm: map sheets to their XML, check declared sizes, find errors, formulas and hidden cells


@dataclass
class _SheetXml:
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    uncached: set[tuple[int, int]] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)


# Work the parent process does while calamine reads the cells: sheet name -> what the sheet XML says.
_Analysis = Callable[[], dict[str, _SheetXml]]


def _xlsx_sheet_parts(
    data: bytes, zf: zipfile.ZipFile, kind: str, limits: ReadLimits
) -> list[tuple[str, str]]:
    """[(sheet name, normalised part name)] in workbook order, from workbook.xml and its rels."""
    infos = {_norm(info.filename): info for info in zf.infolist()}
    sheets: list[tuple[str, str]] = []

    def workbook_start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "sheet":
            rel = next((value for key, value in attrs.items() if key == "id" or key.endswith(":id")), "")
            sheets.append((attrs.get("name", ""), rel))

    targets: dict[str, str] = {}

    def rels_start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse_xml(_budgeted(data, infos["xl/workbook.xml"], limits, kind), _xml_parser(workbook_start), kind)
    rels = infos.get("xl/_rels/workbook.xml.rels")
    if rels is not None:
        _parse_xml(_budgeted(data, rels, limits, kind), _xml_parser(rels_start), kind)
    parts = []
    for name, rel in sheets:
        target = targets.get(rel, "")
        if not target:
            continue
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join("xl", target))
        parts.append((name, _norm(path)))
    return parts


def _budgeted(data: bytes, info: zipfile.ZipInfo, limits: ReadLimits, kind: str) -> Iterator[bytes]:
    total = 0
    for chunk in _entry_chunks(data, info, kind):
        total += len(chunk)
        if total > limits.max_decompressed_bytes:
            raise _decompressed_too_large(limits)
        yield chunk


def _read_head(head: bytes, kind: str) -> tuple[tuple[int, int] | None, set[int], bool]:
    """From the start of a sheet XML: (declared end cell as 1-based (rows, cols) or None,
    hidden columns, whether <sheetData> was reached)."""
    state: dict[str, Any] = {"dimension": None, "reached": False}
    hidden_columns: set[int] = set()

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if name == "dimension":
            ref = attrs.get("ref", "").split(":")[-1]
            end = _parse_ref(ref)
            if end is not None:
                state["dimension"] = (end[0] + 1, end[1] + 1)
        elif name == "col" and _is_true(attrs.get("hidden")):
            low = max(1, _int(attrs.get("min"), 1))
            high = min(_MAX_COLS, _int(attrs.get("max"), low))
            hidden_columns.update(range(low - 1, high))
        elif name == "sheetData":
            state["reached"] = True
            raise _StopParsing

    _parse_xml([bytes(head)], _xml_parser(start), kind, final=False)
    return state["dimension"], hidden_columns, state["reached"]


class _CellPass:
    """Streamed pass over one sheet XML: error values, formulas without a saved result, hidden rows and
    hidden columns. Called for every element, so it does as little as possible per element: a cell is
    only looked at closely (its reference parsed, its value's text kept) when it holds an error or a
    formula, and a cell is settled when the next cell or row starts (no end-of-element handler)."""

    def __init__(self) -> None:
        self.found = _SheetXml()
        self.row = -1
        self.ref: str | None = None  # the last r="..." seen in this row
        self.offset = -1  # cells since that reference (cells may omit r and follow the previous one)
        self.type: str | None = None
        self.formula = False
        self.has_value = False
        self.text: list[str] = []
        self.parser = _xml_parser(self.start)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if ":" in tag:
            tag = tag[tag.rfind(":") + 1 :]
        if tag == "c":
            if self.formula or self.type == "e":
                self.settle()
            ref = attrs.get("r")
            if ref:
                self.ref, self.offset = ref, 0
            else:
                self.offset += 1
            self.type = attrs.get("t")
        elif tag == "v":
            if self.formula or self.type == "e":
                self.has_value = True
                self.text = []
                self.parser.CharacterDataHandler = self.text.append
        elif tag == "f":
            self.formula = True
            self.has_value = False
        elif tag == "row":
            if self.formula or self.type == "e":
                self.settle()
            self.type = None
            self.row = _int(attrs.get("r"), self.row + 2) - 1
            self.ref, self.offset = None, -1
            if _is_true(attrs.get("hidden")) and 0 <= self.row < _MAX_ROWS:
                self.found.hidden_rows.add(self.row)
        elif tag == "col":
            if _is_true(attrs.get("hidden")):
                low = max(1, _int(attrs.get("min"), 1))
                high = min(_MAX_COLS, _int(attrs.get("max"), low))
                self.found.hidden_columns.update(range(low - 1, high))

    def settle(self) -> None:
        """Record the cell that just ended if it held an error or a formula without a result."""
        self.parser.CharacterDataHandler = None
        position = self.position()
        if position is not None:
            # The text may run past </v> up to the next cell: harmless, only whitespace can be there.
            text = "".join(self.text).strip() if self.has_value else ""
            if self.type == "e":
                self.found.errors[position] = text[:32] or "#ERROR"
            elif not self.has_value or (not text and self.type not in ("str", "inlineStr")):
                self.found.uncached.add(position)
        self.formula = self.has_value = False
        self.type = None

    def finish(self) -> None:
        if self.formula or self.type == "e":
            self.settle()

    def position(self) -> tuple[int, int] | None:
        if self.ref is None:
            return (max(self.row, 0), self.offset) if self.offset >= 0 else None
        parsed = _parse_ref(self.ref)
        if parsed is None:
            return None
        row = parsed[0] if self.offset == 0 else max(self.row, 0)
        return row, parsed[1] + self.offset


_TARGETED_SCAN_BYTES = 64 * 1024 * 1024
_TARGETED_SCAN_MAX_HITS = 20_000
_FORMULA_TAG = re.compile(rb"<f[\s/>]")
_ERROR_OR_HIDDEN = re.compile(rb"\"e\"|'e'|hidden")
_PREFIXED_TAG = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row|f|v)[\s/>]")
_TAG_NAME_END = frozenset(b" \t\r\n>/")


def _enclosing(
    xml: bytes, position: int, tag: bytes, closing: bytes, low: int
) -> tuple[int, int, int] | None:
    """(start, end of the start tag, end) of the ``tag`` element around ``position``, or None."""
    start = position
    while True:
        start = xml.rfind(tag, low, start)
        if start < 0 or start + len(tag) >= len(xml):
            return None
        if xml[start + len(tag)] in _TAG_NAME_END:
            break
    tag_end = xml.find(b">", start)
    if tag_end < 0:
        return None
    if xml[tag_end - 1] == 0x2F:  # "/>": an empty element
        end = tag_end + 1
    else:
        end = xml.find(closing, tag_end)
        if end < 0:
            return None
        end += len(closing)
    if not start < position < end:
        return None
    return start, tag_end + 1, end


def _element_facts(fragment: bytes) -> tuple[str, dict[str, str], bool, bool, str] | None:
    """(tag, attributes, has <f>, has <v>, text of <v>) of the one element in ``fragment``, or None."""
    facts: dict[str, Any] = {"depth": 0, "formula": False, "value": False}
    text: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        facts["depth"] += 1
        if facts["depth"] == 1:
            facts["tag"], facts["attrs"] = tag, attrs
        elif tag == "f":
            facts["formula"] = True
        elif tag == "v":
            facts["value"] = True
            parser.CharacterDataHandler = text.append

    def end(tag: str) -> None:
        facts["depth"] -= 1
        if tag == "v":
            parser.CharacterDataHandler = None

    parser = _xml_parser(start, end)
    try:
        parser.Parse(fragment, True)
    except (pyexpat.ExpatError, _UnsafeXml):
        return None
    if "tag" not in facts:
        return None
    return facts["tag"], facts["attrs"], facts["formula"], facts["value"], "".join(text).strip()


def _targeted_scan(xml: bytes) -> _SheetXml | None:
    """Error values, formulas without a result and hidden rows, found by searching for their markers and
    parsing only the elements around them: much faster than parsing every element when they are few
    (say, a totals column of formulas). None when the sheet is unusual (namespace prefixes, cells or
    rows without a reference, too many hits): the caller then parses every element."""
    low = xml.find(b"<sheetData")
    high = xml.rfind(b"</sheetData>")
    if low < 0 or high < low or _PREFIXED_TAG.search(xml, low, high):
        return None
    found = _SheetXml()
    cells: set[tuple[int, int, int]] = set()
    hits = 0
    for match in _FORMULA_TAG.finditer(xml, low, high):
        cell = _enclosing(xml, match.start(), b"<c", b"</c>", low)
        if cell is None:
            return None  # a formula outside any cell: leave it to the full parse
        cells.add(cell)
        hits += 1
        if hits > _TARGETED_SCAN_MAX_HITS:
            return None
    for match in _ERROR_OR_HIDDEN.finditer(xml, low, high):
        hits += 1
        if hits > _TARGETED_SCAN_MAX_HITS:
            return None
        if match.group() != b"hidden":
            cell = _enclosing(xml, match.start(), b"<c", b"</c>", low)
            if cell is not None:
                cells.add(cell)
            continue
        row = _enclosing(xml, match.start(), b"<row", b"</row>", low)
        if row is None or match.start() >= row[1]:
            continue  # not in a row's start tag (for example in a cell's text)
        start_tag = xml[row[0] : row[1]]
        facts = _element_facts(start_tag if start_tag.endswith(b"/>") else start_tag + b"</row>")
        if facts is None or not facts[1].get("r", "").isdigit():
            return None
        number = int(facts[1]["r"]) - 1
        if _is_true(facts[1].get("hidden")) and 0 <= number < _MAX_ROWS:
            found.hidden_rows.add(number)
    for start, _, end in cells:
        facts = _element_facts(xml[start:end])
        if facts is None or facts[0] != "c":
            return None
        _, attrs, has_formula, has_value, text = facts
        cell_type = attrs.get("t")
        if cell_type != "e" and not has_formula:
            continue  # a marker in an ordinary cell's text
        position = _parse_ref(attrs.get("r", ""))
        if position is None:
            return None
        if cell_type == "e":
            found.errors[position] = text[:32] or "#ERROR"
        elif not has_value or (not text and cell_type not in ("str", "inlineStr")):
            found.uncached.add(position)
    return found


def _prepare_xlsx(data: bytes, kind: str, limits: ReadLimits) -> _Analysis:
    """Check the zip and every sheet's declared size now; return the analysis of the sheet XML that
    can run while calamine reads the cells."""
    zf = _open_zip(data, limits, kind)
    parts = _xlsx_sheet_parts(data, zf, kind, limits)
    scanners = _check_zip_entries(data, zf, {part for _, part in parts}, limits, kind)
    infos = {_norm(info.filename): info for info in zf.infolist()}
    pending: list[tuple[str, zipfile.ZipInfo, bool]] = []
    heads: dict[str, _SheetXml] = {}
    heads_columns: dict[str, set[int]] = {}
    for name, part in parts:
        scanner = scanners.get(part)
        if scanner is None:
            continue
        dimension, hidden_columns, reached = _read_head(scanner.head, kind)
        if dimension is not None and dimension[0] * dimension[1] > limits.max_cells:
            raise _too_large_sheet(name, dimension[0], dimension[1], limits, True)
        heads_columns[name] = hidden_columns
        if scanner.needs_cell_pass or (scanner.in_data and not reached):
            pending.append((name, infos[part], reached))
        else:
            heads[name] = _SheetXml(hidden_columns=hidden_columns)

    def analyse() -> dict[str, _SheetXml]:
        found = dict(heads)
        for name, info, reached in pending:
            chunks: Iterator[bytes] | list[bytes] = _entry_chunks(data, info, kind)
            # The targeted scan takes the hidden columns from the head, so the head must be complete.
            if reached and scanners[_norm(info.filename)].size <= _TARGETED_SCAN_BYTES:
                xml = b"".join(chunks)
                targeted = _targeted_scan(xml)
                if targeted is not None:
                    targeted.hidden_columns = heads_columns[name]
                    found[name] = targeted
                    continue
                chunks = [xml]
            cell_pass = _CellPass()
            _parse_xml(chunks, cell_pass.parser, kind)
            cell_pass.finish()
            found[name] = cell_pass.found
        return found

    return analyse


# ---------------------------------------------------------------------------------------------------
# ods: check the extent of every table, repeated rows and columns included, before calamine


def _prepare_ods(data: bytes, limits: ReadLimits) -> _Analysis:
    """Check the zip now; return the check of every table's extent (repeats included), which can run
    while calamine reads the cells: the child process's memory limit covers calamine meanwhile."""
    zf = _open_zip(data, limits, "ods")
    _check_zip_entries(data, zf, set(), limits, "ods")
    infos = {_norm(info.filename): info for info in zf.infolist()}
    content = infos.get("content.xml")
    if content is None:
        raise _corrupt("ods", "Its main part (content.xml) is missing.")

    def analyse() -> dict[str, _SheetXml]:
        # depth of tables; current table name, row, rows repeated, column, end of content in the row,
        # its extent (rows, cols) so far, and the open cell [first column, repeat, has content]
        state: dict[str, Any] = {"depth": 0, "cell": None}

        def start(tag: str, attrs: dict[str, str]) -> None:
            name = _local(tag)
            if name == "table":
                state["depth"] += 1
                if state["depth"] == 1:
                    table_name = next((v for k, v in attrs.items() if _local(k) == "name"), "")
                    state.update(name=table_name, row=0, rows=0, cols=0)
                return
            if state["depth"] != 1:
                return
            if name == "table-row":
                repeat = next((v for k, v in attrs.items() if _local(k) == "number-rows-repeated"), None)
                state.update(repeat=max(1, _int(repeat, 1)), col=0, row_end=0)
            elif name in ("table-cell", "covered-table-cell"):
                repeat = next((v for k, v in attrs.items() if _local(k) == "number-columns-repeated"), None)
                content = any(_local(k) in ("value-type", "formula") for k in attrs)
                state["cell"] = [state.get("col", 0), max(1, _int(repeat, 1)), content]
            elif state["cell"] is not None:
                state["cell"][2] = True  # any element inside a cell (text:p ...) counts as content

        def end(tag: str) -> None:
            name = _local(tag)
            if name == "table":
                state["depth"] -= 1
                if state["depth"] == 0 and state["rows"] * state["cols"] > limits.max_cells:
                    raise _too_large_sheet(state["name"], state["rows"], state["cols"], limits, False)
                return
            if state["depth"] != 1:
                return
            if name in ("table-cell", "covered-table-cell") and state["cell"] is not None:
                first, repeat, content = state["cell"]
                state["cell"] = None
                state["col"] = first + repeat
                if content:
                    state["row_end"] = first + repeat
            elif name == "table-row":
                if state.get("row_end"):
                    state["rows"] = state["row"] + state["repeat"]
                    state["cols"] = max(state["cols"], state["row_end"])
                    if state["rows"] * state["cols"] > limits.max_cells:
                        raise _too_large_sheet(state["name"], state["rows"], state["cols"], limits, False)
                state["row"] += state.get("repeat", 1)

        _parse_xml(_entry_chunks(data, content, "ods"), _xml_parser(start, end), "ods")
        return {}

    return analyse


# ---------------------------------------------------------------------------------------------------
# calamine, in a child process with a memory and time limit


_CHILD_BOOT = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_migdash_reader_child', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module._child_main()\n"
)


class _CalamineRun:
    """calamine reading ``data`` in a child process, started at once so the parent can work meanwhile."""

    def __init__(self, data: bytes, kind: str, limits: ReadLimits) -> None:
        self.kind = kind
        self.limits = limits
        self.output: tuple[bytes, bytes] = (b"", b"")
        self.timed_out = False
        command = [
            sys.executable,
            "-c",
            _CHILD_BOOT,
            reader_child.__file__,
            str(limits.max_cells),
            str(limits.max_parser_memory_bytes),
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
        self.thread = threading.Thread(target=self._communicate, args=(data,), daemon=True)
        self.thread.start()

    def _communicate(self, data: bytes) -> None:
        try:
            self.output = self.process.communicate(data, timeout=self.limits.max_parser_seconds)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.process.kill()
            self.output = self.process.communicate()
        except (OSError, ValueError):  # the child died before reading its input, or was killed
            self.process.kill()
            self.process.wait()

    def wait(self) -> tuple[Any, ...]:
        self.thread.join()
        out, err = self.output
        code = self.process.returncode
        if self.timed_out:
            raise _corrupt(self.kind, "Reading it took far too long, so it was stopped.")
        if code != 0 or not out:
            if code is not None and code < 0:  # killed by a signal: calamine aborted, mostly out of memory
                logger.warning(
                    "reader process killed by signal %s: %s", -code, err[:300].decode("utf-8", "replace")
                )
                raise _corrupt(
                    self.kind,
                    "Reading it needed far more memory than allowed; it may declare "
                    "far more cells than it holds.",
                )
            logger.error("reader process failed (exit %s): %s", code, err[-2000:].decode("utf-8", "replace"))
            raise _corrupt(self.kind)
        try:
            # JSON and raw doubles, never pickle: the child parses hostile files, so what it sends
            # back is data only.
            return _decode_result(out)
        except (ValueError, TypeError, KeyError) as exc:
            raise _corrupt(self.kind) from exc

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.thread.join()


def _read_with_calamine(data: bytes, kind: str, limits: ReadLimits, analyse: _Analysis | None) -> Workbook:
    run = None
    if limits.isolate_parser and sys.executable:
        try:
            run = _CalamineRun(data, kind, limits)
        except OSError:
            logger.warning("could not start the reader process; reading in this process", exc_info=True)
    if run is None:
        # Without the child's memory limit, every check must be done before calamine starts.
        found = analyse() if analyse is not None else {}
        result = _calamine_worker(data, limits.max_cells)
    else:
        try:
            found = analyse() if analyse is not None else {}
            result = run.wait()
        finally:
            run.close()
    status = result[0]
    if status == "too-large":
        _, name, n_rows, n_cols = result
        raise _too_large_sheet(name, n_rows, n_cols, limits, False)
    if status == "password":
        raise _encrypted()
    if status != "ok":
        logger.info("calamine could not read a %s upload: %s", kind, result[1])
        raise _corrupt(kind)
    sheets = [_build_sheet(name, rows, found.get(name), limits) for name, rows in result[1]]
    if not sheets:
        raise UnreadableFile(
            "no-sheets",
            "The workbook contains no worksheets, so there is nothing to read.",
            "Check that you uploaded the right file: the return should have at least one sheet with data.",
        )
    return Workbook(kind=kind, sheets=sheets)


def _build_sheet(name: str, rows: list[list[Any]], found: _SheetXml | None, limits: ReadLimits) -> Sheet:
    found = found or _SheetXml()
    width = len(rows[0]) if rows else 0
    marked = list(found.errors) + list(found.uncached)
    if marked:
        # Error cells and formulas without a result read as blank, so trimming may have cut them off.
        height = max(len(rows), max(row for row, _ in marked) + 1)
        new_width = max(width, max(col for _, col in marked) + 1)
        if new_width > width:
            for row in rows:
                row.extend([None] * (new_width - width))
        rows.extend([None] * new_width for _ in range(height - len(rows)))
        width = new_width
    if len(rows) * width > limits.max_cells:
        raise _too_large_sheet(name, len(rows), width, limits, False)
    return Sheet(
        name=name,
        rows=rows,
        error_cells=found.errors,
        uncached_formulas=found.uncached,
        hidden_rows={row for row in found.hidden_rows if row < len(rows)},
        hidden_columns={col for col in found.hidden_columns if col < width},
    )


# ---------------------------------------------------------------------------------------------------
# CSV

_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be", "utf-16-be"),
)
_DELIMITERS = (",", ";", "\t", "|")


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    return len(_CONTROL_RE.findall(sample)) > len(sample) // 100


def _decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding name) if the bytes are text in a known encoding, else None."""
    candidates: list[tuple[bytes, str, str]] = []
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            candidates.append((data[len(bom) :], codec, label))
            if codec == "utf-8":  # a UTF-8 mark followed by a few Windows-1252 bytes happens too
                data = data[len(bom) :]
            break
    else:
        sample = data[:4096]
        if len(sample) >= 4:
            even, odd = sample[0::2], sample[1::2]
            if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
                candidates.append((data, "utf-16-le", "utf-16-le"))
            elif even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
                candidates.append((data, "utf-16-be", "utf-16-be"))
        candidates.append((data, "utf-8", "utf-8"))
    candidates += [(data, "cp1252", "cp1252"), (data, "latin-1", "latin-1")]
    for raw, codec, label in candidates:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        return None if _looks_binary(text) else (text, label)
    return None


def _field_counts(sample: str, delimiter: str) -> list[int]:
    try:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        return [len(row) for row in reader if row][:200]
    except csv.Error:
        return []


def _detect_delimiter(text: str) -> str:
    """The delimiter that splits most lines into the same number (> 1) of fields; csv.Sniffer breaks
    ties. Title lines above the header do not disturb it, and a single-column file gets ","."""
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    scores: dict[str, tuple[float, int]] = {}
    for delimiter in _DELIMITERS:
        counts = _field_counts(sample, delimiter)
        if not counts:
            continue
        mode = max(set(counts), key=lambda n: (counts.count(n), n))
        if mode > 1:
            scores[delimiter] = (counts.count(mode) / len(counts), mode)
    if not scores:
        return ","
    best = max(scores.values())[0]
    tied = [d for d in _DELIMITERS if d in scores and scores[d][0] == best]
    if len(tied) > 1:
        try:
            sniffed = csv.Sniffer().sniff(sample[:16384], delimiters="".join(_DELIMITERS)).delimiter
        except csv.Error:
            sniffed = None
        if sniffed in tied:
            return sniffed
    return max(tied, key=lambda d: scores[d][1])


def _read_csv(text: str, encoding: str, limits: ReadLimits) -> Workbook:
    if not text.strip():
        raise _empty_file("The file contains no data: it is empty or holds only blank lines.")
    delimiter = _detect_delimiter(text)
    rows: list[list[Cell]] = []
    width = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            rows.append(record)
            width = max(width, len(record))
            if len(rows) * width > limits.max_cells:
                raise _too_large_sheet("CSV", len(rows), width, limits, False)
    except csv.Error as exc:  # in practice only "field larger than field limit"
        raise UnreadableFile(
            "corrupt-file",
            f"The CSV file could not be read: the value on line {reader.line_num:,} is far too long "
            f'(over {csv.field_size_limit():,} characters). This usually means a quote character (") opens '
            "a value that is never closed.",
            "Open the file in Excel or LibreOffice Calc, check that line and save it again.",
        ) from exc
    rows = _tidy(rows)
    width = max((len(row) for row in rows), default=0)
    for row in rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))
    sheet = Sheet(name="CSV", rows=rows, error_cells={}, uncached_formulas=set())
    return Workbook(kind="csv", sheets=[sheet], encoding=encoding, delimiter=delimiter)
