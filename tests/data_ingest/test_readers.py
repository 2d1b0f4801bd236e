"""The low-level reader: real files in, cells at their Excel positions or one plain-language error out.

Fixtures live in tests/data/readers/ and are rebuilt by make_fixtures.py there.
"""

from __future__ import annotations

import datetime
import importlib.util
import io
import math
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_ingest import readers
from data_ingest.readers import (
    ERROR_CODES,
    ReadLimits,
    UnreadableFile,
    Workbook,
    detect_type,
    read_workbook,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "readers"

_spec = importlib.util.spec_from_file_location("readers_fixture_tools", FIXTURES / "make_fixtures.py")
fixture_tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_tools)
build_xlsx = fixture_tools.build_xlsx
rewrite_zip = fixture_tools.rewrite_zip


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def unreadable(data: bytes, limits: ReadLimits = readers.DEFAULT_LIMITS) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(data, limits)
    error = caught.value
    assert error.code in ERROR_CODES
    assert error.message and error.hint
    assert "Traceback" not in error.message and "Error:" not in error.message
    return error


def sheet_xml(rows: str, dimension: str | None = None) -> str:
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{head}<sheetData>{rows}</sheetData>"


# ------------------------------------------------------------------------------------------------ types


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("basic.xlsx", "xlsx"),
        ("macro-enabled.xlsm", "xlsm"),
        ("legacy.xls", "xls"),
        ("spreadsheet.ods", "ods"),
        ("utf8-comma.csv", "csv"),
        ("utf16-tab.csv", "csv"),
    ],
)
def test_type_is_detected_from_content(name, kind):
    assert detect_type(fixture(name)) == kind
    assert read_workbook(fixture(name)).kind == kind


def test_file_name_plays_no_part(tmp_path):
    """An xlsx saved as .csv is an xlsx, a CSV saved as .xlsx is a CSV: only the bytes count."""
    renamed_xlsx = tmp_path / "return.csv"
    renamed_xlsx.write_bytes(fixture("basic.xlsx"))
    renamed_csv = tmp_path / "return.xlsx"
    renamed_csv.write_bytes(fixture("utf8-comma.csv"))
    assert read_workbook(renamed_xlsx.read_bytes()).kind == "xlsx"
    assert read_workbook(renamed_csv.read_bytes()).kind == "csv"


@pytest.mark.parametrize(
    ("name", "looks_like"),
    [
        ("document.pdf", "This looks like a PDF document"),
        ("image.png", "This looks like a PNG image"),
        ("letter.docx", "This looks like a Word document"),
        ("web-page.xls", "This looks like a web page"),
    ],
)
def test_other_documents_are_rejected_saying_what_they_look_like(name, looks_like):
    error = unreadable(fixture(name))
    assert error.code == "unsupported-file-type"
    assert error.message.startswith(looks_like)
    assert ".xlsx" in error.hint


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)), "a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07binary" * 20, "neither a spreadsheet nor a CSV"),
        (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
            "an Excel 2003 XML spreadsheet",
        ),
    ],
)
def test_more_non_spreadsheets(data, looks_like):
    error = unreadable(data)
    assert error.code == "unsupported-file-type"
    assert looks_like in error.message


def test_zip_without_workbook_is_unsupported():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("photos/one.txt", "hello")
    error = unreadable(out.getvalue())
    assert error.code == "unsupported-file-type"
    assert "zip archive" in error.message


def test_empty_and_too_large_files():
    assert unreadable(b"").code == "empty-file"
    assert unreadable(b"\xef\xbb\xbf \r\n\r\n").code == "empty-file"
    error = unreadable(fixture("basic.xlsx"), ReadLimits(max_file_bytes=1000))
    assert error.code == "file-too-large"
    assert "1,000 bytes" in error.message


@pytest.mark.parametrize("name", ["encrypted.xlsx", "encrypted-legacy.xls"])
def test_password_protected_workbooks(name):
    error = unreadable(fixture(name))
    assert error.code == "encrypted-workbook"
    assert "password" in error.message


def test_old_word_document_is_recognised_inside_its_ole_container():
    data = bytearray(fixture("legacy.xls"))
    entry = data.find("Workbook".encode("utf-16-le") + b"\x00\x00")
    name = "WordDocument".encode("utf-16-le")
    data[entry : entry + 64] = name + bytes(64 - len(name))
    struct.pack_into("<H", data, entry + 64, len(name) + 2)
    error = unreadable(bytes(data))
    assert error.code == "unsupported-file-type"
    assert error.message.startswith("This looks like a Word 97-2003 document")


# ------------------------------------------------------------------------------------------ zip safety


def test_zip_bomb_is_stopped_quickly_with_bounded_memory():
    data = fixture("zip-bomb.xlsx")  # 200 KB on disk, 201 MiB of zeros inside
    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = unreadable(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "decompressed-too-large"
    assert time.perf_counter() - started < 10
    assert peak < 20 * 1024 * 1024


def _lie_about_size(data: bytes, entry: str, claimed: int) -> bytes:
    """Write a small uncompressed size for ``entry`` in both zip headers (CRC left as is)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(entry)
    patched = bytearray(data)
    struct.pack_into("<I", patched, info.header_offset + 22, claimed)
    end = data.rfind(b"PK\x05\x06")
    (position,) = struct.unpack_from("<I", data, end + 16)  # start of the central directory
    while data[position : position + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46 : position + 46 + name_len] == entry.encode():
            struct.pack_into("<I", patched, position + 24, claimed)
            return bytes(patched)
        position += 46 + name_len + extra_len + comment_len
    raise AssertionError(f"{entry} not in the central directory")


def test_zip_entry_that_understates_its_size_is_measured_by_its_real_content():
    bomb = build_xlsx(
        {"Data": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')},
        extra={"xl/padding.xml": b"0" * (30 * 1024 * 1024)},
        compresslevel=9,
    )
    lying = _lie_about_size(bomb, "xl/padding.xml", 1000)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/padding.xml").file_size == 1000
    error = unreadable(lying, ReadLimits(max_decompressed_bytes=10 * 1024 * 1024))
    assert error.code == "decompressed-too-large"


def test_too_many_zip_entries():
    base = build_xlsx({"Data": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for number in range(2001):
            target.writestr(f"xl/media/part{number}.bin", b"")
    error = unreadable(out.getvalue())
    assert error.code == "too-many-zip-entries"
    assert unreadable(base, ReadLimits(max_zip_entries=3)).code == "too-many-zip-entries"


def test_damaged_zip_is_corrupt():
    data = fixture("basic.xlsx")
    assert unreadable(data[: len(data) // 2]).code == "corrupt-file"
    # Flip one byte inside the compressed sheet: the CRC no longer matches.
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    position = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    damaged = data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]
    error = unreadable(damaged)
    assert error.code == "corrupt-file"
    assert "Excel workbook" in error.message


def test_document_type_declarations_are_refused():
    error = unreadable(fixture("doctype-in-sheet.xlsx"))
    assert error.code == "corrupt-file"
    assert "for safety" in error.message


# ----------------------------------------------------------------------------------------- huge sheets


def test_huge_declared_dimension_is_refused_before_calamine(monkeypatch):
    def no_calamine(*_args, **_kwargs):
        raise AssertionError("calamine must not see this file")

    monkeypatch.setattr(readers, "_CalamineRun", no_calamine)
    error = unreadable(fixture("huge-declared-dimension.xlsx"))
    assert error.code == "sheet-too-large"
    assert "'Sheet'" in error.message and "1,048,576 rows" in error.message


@pytest.mark.parametrize(
    "name",
    ["far-cell-without-dimension.xlsx", "huge-shared-strings-count.xlsx", "huge-dimensions-record.xls"],
)
def test_files_that_abort_calamine_do_not_take_the_process_down(name):
    """python-calamine 0.9.1 aborts the whole process on these (measured); the child process absorbs it."""
    error = unreadable(fixture(name))
    assert error.code == "corrupt-file"
    assert read_workbook(fixture("basic.xlsx")).kind == "xlsx"  # and we are still here


def test_ods_with_huge_repeats_is_refused_and_trailing_padding_is_not():
    error = unreadable(fixture("huge-repeat.ods"))
    assert error.code == "sheet-too-large"
    assert "'Big'" in error.message
    # spreadsheet.ods pads to 1,048,576 rows x 1,024 columns with empty repeated cells, like LibreOffice.
    assert read_workbook(fixture("spreadsheet.ods")).sheets[0].name == "Data"


def test_actual_extent_is_checked_after_reading():
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="J{r}"><v>1</v></c></row>' for r in range(1, 21)
    )
    data = build_xlsx({"Wide": sheet_xml(rows, "A1:B2")})  # the dimension lies
    error = unreadable(data, ReadLimits(max_cells=100))
    assert error.code == "sheet-too-large"
    assert "20 rows and 10 columns" in error.message
    assert len(read_workbook(data, ReadLimits(max_cells=200)).sheets[0].rows) == 20


def test_csv_too_large():
    data = "".join(f"{n};{n}\n" for n in range(100)).encode()
    assert unreadable(data, ReadLimits(max_cells=100)).code == "sheet-too-large"


def test_workbook_without_sheets():
    assert unreadable(build_xlsx({})).code == "no-sheets"


# ------------------------------------------------------------------------------------- cells and places


def test_cells_sit_at_their_excel_positions():
    book = read_workbook(fixture("basic.xlsx"))
    assert [sheet.name for sheet in book.sheets] == ["Data", "Notes"]  # the hidden sheet is there too
    data = book.sheets[0]
    assert data.rows[0][0] == "Municipal return 2023"
    assert data.rows[1] == [None] * 8
    assert data.rows[2][:6] == ["Code", "Municipality", "Population", "Migrants", "Reported on", "Final"]
    assert data.rows[3][:6] == ["M001", "Riverside", 12500, 1234.5, datetime.date(2024, 1, 31), True]
    assert data.rows[4][3] is None and data.rows[4][5] is False
    assert data.rows[6][7] == "note far right"
    assert len(data.rows) == 7 and {len(row) for row in data.rows} == {8}
    assert data.error_cells == {} and data.uncached_formulas == set()
    assert book.sheets[1].rows == [[None, None, None], [None, None, "hidden sheet"]]
    assert book.encoding is None and book.delimiter is None


def test_macro_enabled_workbook_reads_like_any_other():
    book = read_workbook(fixture("macro-enabled.xlsm"))
    assert book.kind == "xlsm"
    assert book.sheets[0].rows[3][1] == "Riverside"


def test_legacy_xls_positions():
    book = read_workbook(fixture("legacy.xls"))
    assert [sheet.name for sheet in book.sheets] == ["Data", "Other"]
    data = book.sheets[0]
    assert data.rows[0] == ["Municipal return 2023", None, None]
    assert data.rows[2] == ["Code", "Municipality", "Migrants"]
    assert data.rows[3] == ["M001", "Riverside", 1234.5]
    assert data.rows[4] == [None, "Hilltop", 20]
    assert book.sheets[1].rows[1][3] == "second sheet"


def test_ods_positions():
    book = read_workbook(fixture("spreadsheet.ods"))
    assert [sheet.name for sheet in book.sheets] == ["Data", "Other"]
    assert book.sheets[0].rows == [
        ["Municipal return 2023", None, None],
        [None, None, None],
        ["Code", "Municipality", "Migrants"],
        ["M001", "Riverside", 1234.5],
    ]
    assert book.sheets[1].rows == [[None, "second sheet"]]


def test_error_cells_are_found_with_their_positions():
    sheet = read_workbook(fixture("error-cells.xlsx")).sheets[0]
    assert sheet.error_cells == {(1, 1): "#N/A", (2, 2): "#DIV/0!"}
    assert sheet.rows[1][1] is None and sheet.rows[2][2] is None
    assert sheet.rows[2][1] == 4


def test_formula_without_saved_result_is_reported():
    sheet = read_workbook(fixture("uncached-formula.xlsx")).sheets[0]
    assert sheet.uncached_formulas == {(3, 1)}
    assert sheet.rows[3] == ["Total", None]


def test_formula_with_saved_result_is_read():
    sheet = read_workbook(fixture("cached-formula.xlsx")).sheets[0]
    assert sheet.rows[3] == ["Total", 42]
    assert sheet.uncached_formulas == set()


def test_hidden_row_and_column():
    sheet = read_workbook(fixture("hidden-row-and-column.xlsx")).sheets[0]
    assert sheet.hidden_rows == {2}
    assert sheet.hidden_columns == {2}
    assert sheet.rows[2] == ["M002", "Hilltop", "y", 2]


def test_cells_without_reference_shared_formulas_and_trailing_errors():
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c>'
        '<c r="B1"><f t="shared" ref="B1:B2" si="0">A1*2</f><v>2</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>4</v></c>'
        '<c t="e"><v>#REF!</v></c><c><f>NOW()</f></c></row>'
        '<row r="5"><c r="F5" t="e"><v>#VALUE!</v></c></row>'
    )
    sheet = read_workbook(build_xlsx({"Data": sheet_xml(rows, "A1:F5")})).sheets[0]
    assert sheet.error_cells == {(1, 2): "#REF!", (4, 5): "#VALUE!"}
    assert sheet.uncached_formulas == {(1, 3)}
    assert sheet.rows[0][:2] == [1, 2] and sheet.rows[1][:2] == [2, 4]
    # The error cell in the last row reads as blank but is kept, so its position exists.
    assert len(sheet.rows) == 5 and len(sheet.rows[0]) == 6


def test_nan_and_infinity_are_kept_as_floats():
    rows = '<row r="1"><c r="A1"><v>NaN</v></c><c r="B1"><v>INF</v></c><c r="C1"><v>3</v></c></row>'
    sheet = read_workbook(build_xlsx({"Data": sheet_xml(rows, "A1:C1")})).sheets[0]
    assert math.isnan(sheet.rows[0][0]) and sheet.rows[0][1] == math.inf and sheet.rows[0][2] == 3


def test_reading_that_takes_too_long_is_stopped():
    error = unreadable(fixture("basic.xlsx"), ReadLimits(max_parser_seconds=0.001))
    assert error.code == "corrupt-file"
    assert "too long" in error.message


def test_in_process_reading_still_checks_before_calamine():
    assert unreadable(fixture("huge-repeat.ods"), ReadLimits(isolate_parser=False)).code == "sheet-too-large"


def test_in_process_reading_gives_the_same_cells():
    isolated = read_workbook(fixture("basic.xlsx"))
    in_process = read_workbook(fixture("basic.xlsx"), ReadLimits(isolate_parser=False))
    assert in_process == isolated


# ------------------------------------------------------------------------------------------------- CSV

CSV_ROWS = [["Code", "Municipality", "Migrants"], ["M001", "Créteil", "1234"], ["M002", "Évry", None]]


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("utf8-comma.csv", "utf-8", ","),
        ("utf8-bom-semicolon.csv", "utf-8-sig", ";"),
        ("utf16-tab.csv", "utf-16-le", "\t"),
        ("cp1252-semicolon.csv", "cp1252", ";"),
        ("latin1-comma.csv", "cp1252", ","),  # latin-1 letters decode the same in cp1252
        ("pipe.csv", "utf-8", "|"),
    ],
)
def test_csv_encodings_and_delimiters(name, encoding, delimiter):
    book = read_workbook(fixture(name))
    assert (book.kind, book.encoding, book.delimiter) == ("csv", encoding, delimiter)
    assert [sheet.name for sheet in book.sheets] == ["CSV"]
    assert book.sheets[0].rows[:3] == CSV_ROWS
    assert book.sheets[0].rows[0][0] == "Code"  # no byte order mark left


def test_cp1252_euro_sign():
    rows = read_workbook(fixture("cp1252-semicolon.csv")).sheets[0].rows
    assert rows[3] == ["M003", "Saint-Étienne € zone", "5"]


def test_latin1_is_the_last_resort():
    data = "Name;Note\nCréteil;a\x81b\n".encode("latin-1")  # 0x81 does not exist in cp1252
    book = read_workbook(data)
    assert book.encoding == "latin-1"
    assert book.sheets[0].rows[1] == ["Créteil", "a\x81b"]


def test_utf8_mark_with_windows_bytes_falls_back_to_cp1252():
    book = read_workbook(b"\xef\xbb\xbfName;City\nA;Cr\xe9teil\n")
    assert book.encoding == "cp1252"
    assert book.sheets[0].rows == [["Name", "City"], ["A", "Créteil"]]


def test_unbalanced_quote_gives_a_plain_message():
    error = unreadable(b'Name,Note\nA,"never closed\n' + b"x" * 140_000 + b"\n")
    assert error.code == "corrupt-file"
    assert "quote character" in error.message and "line" in error.message


def test_utf16_without_byte_order_mark():
    book = read_workbook("Name\tValue\r\nÉvry\t3\r\n".encode("utf-16-le"))
    assert book.encoding == "utf-16-le" and book.delimiter == "\t"
    assert book.sheets[0].rows == [["Name", "Value"], ["Évry", "3"]]


def test_quoted_fields_keep_delimiters_quotes_and_newlines():
    rows = read_workbook(fixture("quoted-fields.csv")).sheets[0].rows
    assert rows == [
        ["Code", "Name", "Note"],
        ["M001", "Riverside, North", 'said "hello"\nand left'],
        ["M002", "Hilltop", None],
    ]


def test_single_column_and_title_above_header():
    single = read_workbook(fixture("single-column.csv"))
    assert single.sheets[0].rows == [["Municipality"], ["Riverside"], ["Hilltop"]]
    titled = read_workbook(fixture("title-above-header.csv"))
    assert titled.delimiter == ";"  # the comma in the title and the decimal commas do not fool it
    assert titled.sheets[0].rows[0] == ["Municipal return 2023, all municipalities", None, None]
    assert titled.sheets[0].rows[1] == [None, None, None]
    assert titled.sheets[0].rows[3] == ["M001", "Riverside", "1,5"]


def test_ragged_csv_rows_are_padded_and_trailing_blanks_dropped():
    rows = read_workbook(b"a,b\n1\n1,2,3\n,,\n\n").sheets[0].rows
    assert rows == [["a", "b", None], ["1", None, None], ["1", "2", "3"]]


# ------------------------------------------------------------------------------------------ performance


def test_wide_sheet_is_read_well_under_a_second():
    n_rows, n_cols = 2000, 150
    letters = [column_letters(c) for c in range(n_cols)]

    def build(with_formulas: bool) -> bytes:
        parts = []
        for r in range(1, n_rows + 1):
            cells = "".join(
                f'<c r="{letters[c]}{r}"><v>{r * c + 0.5}</v></c>'
                if c % 3
                else f'<c r="{letters[c]}{r}" t="inlineStr"><is><t>name {r}</t></is></c>'
                for c in range(n_cols - 1)
            )
            last = f'<c r="{letters[-1]}{r}"><f>SUM(A{r}:B{r})</f><v>{r}</v></c>' if with_formulas else ""
            parts.append(f'<row r="{r}">{cells}{last}</row>')
        return build_xlsx({"Wide": sheet_xml("".join(parts), f"A1:{letters[-1]}{n_rows}")})

    for with_formulas in (False, True):
        data = build(with_formulas)
        timings = []
        for _ in range(2):  # the best of two: the first run also pays for warming caches
            # (measured ~0.6 s on an idle 2-core machine; other processes competing for the CPU slow it)
            started = time.perf_counter()
            book = read_workbook(data)
            timings.append(time.perf_counter() - started)
        sheet = book.sheets[0]
        assert len(sheet.rows) == n_rows and len(sheet.rows[0]) == n_cols - (0 if with_formulas else 1)
        assert sheet.uncached_formulas == set()
        assert min(timings) < 1.0, (with_formulas, timings)


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# ------------------------------------------------------------------------------------ never a traceback


def _only_unreadable(data: bytes) -> None:
    try:
        result = read_workbook(data)
    except UnreadableFile as error:
        assert error.code in ERROR_CODES
    else:
        assert isinstance(result, Workbook)


SMALL_XLSX = build_xlsx(
    {
        "Data": sheet_xml(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c><c r="B1"><v>2</v></c>'
            '</row><row r="2" hidden="1"><c r="A2" t="e"><v>#N/A</v></c><c r="B2"><f>B1*2</f></c>'
            "</row>",
            "A1:B2",
        )
    }
)
SMALL_SHEET = sheet_xml(
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c><c r="B1"><v>2</v></c></row>'
    '<row r="2"><c r="A2" t="e"><v>#N/A</v></c><c r="B2"><f>B1*2</f><v>4</v></c></row>',
    "A1:B2",
)
_fuzz = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_fuzz
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise_anything_else(data):
    _only_unreadable(data)


@_fuzz
@given(
    st.lists(st.tuples(st.integers(0, len(SMALL_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(1, len(SMALL_XLSX)),
)
def test_mutated_xlsx_never_raises_anything_else(changes, keep):
    data = bytearray(SMALL_XLSX)
    for position, value in changes:
        data[position] = value
    _only_unreadable(bytes(data[:keep]))


@_fuzz
@given(
    st.lists(
        st.tuples(st.integers(0, len(SMALL_SHEET) - 1), st.sampled_from(list('<>/"=:1A9 tvfre&;#'))),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_sheet_xml_never_raises_anything_else(changes):
    text = list(SMALL_SHEET)
    for position, character in changes:
        text[position] = character
    _only_unreadable(build_xlsx({"Data": "".join(text)}))


_refs = st.one_of(
    st.builds(
        lambda col, row: f"{col}{row}",
        st.sampled_from(["A", "B", "Z", "AA", "XFD", "", "a"]),
        st.sampled_from(["1", "2", "40", "0", "1048576", "", "x"]),
    ),
    st.none(),
)
_cells = st.builds(
    lambda ref, kind, formula, value: (
        "<c"
        + (f' r="{ref}"' if ref is not None else "")
        + (f' t="{kind}"' if kind else "")
        + ">"
        + (f"<f>{formula}</f>" if formula else "")
        + (f"<v>{value}</v>" if value is not None else "")
        + "</c>"
    ),
    _refs,
    st.sampled_from([None, "n", "s", "str", "e", "b", "d", "inlineStr", "zz"]),
    st.sampled_from([None, "", "SUM(A1:A2)", "1/0"]),
    st.sampled_from([None, "", "1", "-2.5e300", "NaN", "INF", "#N/A", "abc", "99999999999", "2024-01-31T0"]),
)
_rows = st.builds(
    lambda r, hidden, cells: (
        "<row"
        + (f' r="{r}"' if r is not None else "")
        + (' hidden="1"' if hidden else "")
        + ">"
        + "".join(cells)
        + "</row>"
    ),
    st.sampled_from([None, "1", "2", "3", "0", "-1", "1048576", "x"]),
    st.booleans(),
    st.lists(_cells, max_size=4),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_rows, max_size=4), st.sampled_from([None, "A1", "A1:C3", "B2:A1", "A1:XFD1", "nonsense"]))
def test_odd_but_well_formed_sheets_never_raise_anything_else(rows, dimension):
    _only_unreadable(build_xlsx({"Data": sheet_xml("".join(rows), dimension)}))


_plain_cells = st.builds(
    lambda column, kind, formula, value: (column, kind, formula, value),
    st.sampled_from("ABCE"),
    st.sampled_from([None, "n", "str", "e", "b", "inlineStr"]),
    st.sampled_from([None, "", "SUM(A1:A2)", "1/0"]),
    st.sampled_from([None, "", "1", "#N/A", '"e" hidden', "<f>"]),
)


def _plain_row(number: int, hidden: bool, cells: list) -> str:
    parts = []
    for column, kind, formula, value in cells:
        body = f"<f>{formula}</f>" if formula else ""
        if kind == "inlineStr":
            body += f"<is><t>{escape(value or '')}</t></is>"
        elif value is not None:
            body += f"<v>{escape(value)}</v>"
        kind_attr = f' t="{kind}"' if kind else ""
        ref = f"{column}{number}"
        parts.append(f'<c r="{ref}"{kind_attr}>{body}</c>' if body else f'<c r="{ref}"/>')
    hidden_attr = ' hidden="1"' if hidden else ""
    return f'<row r="{number}"{hidden_attr}>{"".join(parts)}</row>'


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(_plain_cells, max_size=4, unique_by=lambda cell: cell[0])),
        max_size=5,
    ),
    st.sampled_from(["", "\n", "  "]),
)
def test_targeted_scan_agrees_with_the_full_parse(rows, separator):
    """The fast path (search markers, parse around them) finds what parsing every element finds."""
    body = separator.join(_plain_row(number, hidden, cells) for number, (hidden, cells) in enumerate(rows, 1))
    xml = f'<worksheet xmlns="{fixture_tools.MAIN_NS}"><sheetData>{body}</sheetData></worksheet>'.encode()
    targeted = readers._targeted_scan(xml)
    full = readers._CellPass()
    full.parser.Parse(xml, True)
    full.finish()
    assert targeted is not None
    assert (targeted.errors, targeted.uncached, targeted.hidden_rows) == (
        full.found.errors,
        full.found.uncached,
        full.found.hidden_rows,
    )


@pytest.mark.parametrize(
    "cell",
    [
        datetime.date(2024, 3, 1),
        datetime.datetime(2024, 3, 1, 12, 30, 5),
        datetime.time(23, 59, 58),
        datetime.timedelta(days=1, seconds=3.5),
    ],
)
def test_child_process_result_is_plain_json(cell):
    """The reader child parses hostile files, so it sends data back as JSON, never as pickle."""
    import json

    from data_ingest.reader_child import _decode_cell, _encode_cell

    encoded = json.dumps(["ok", [["Sheet", [[cell, "x", 1.5, None, True]]]]], default=_encode_cell)
    decoded = json.loads(encoded, object_hook=_decode_cell)
    assert decoded == ["ok", [["Sheet", [[cell, "x", 1.5, None, True]]]]]
    assert type(decoded[1][0][1][0][0]) is type(cell)


def test_child_process_result_round_trips_with_numbers_as_doubles():
    """The child sends float cells as raw doubles and every other cell as JSON; the server gets the
    same rows back, each cell of the same type, and refuses a malformed answer."""
    from data_ingest.reader_child import _decode_result, _encode_result

    rows = [
        [1.5, "x", None, True, 3, datetime.date(2024, 1, 2), -0.0, float("inf")],
        [],
        ["a\nb"],
        [2.0, None],
    ]
    result = ("ok", [("Sheet", rows), ("Empty", []), ("Last", [[7.25]])])
    decoded = _decode_result(_encode_result(result))
    assert decoded == result
    assert [type(v) for v in decoded[1][0][1][0]] == [type(v) for v in rows[0]]
    assert _decode_result(_encode_result(("too-large", "Sheet", 5, 6))) == ("too-large", "Sheet", 5, 6)
    header = b'["ok", [["S", [2], [], []]]]\n'
    assert _decode_result(header + b"\0" * 16) == ("ok", [("S", [[0.0, 0.0]])])
    for bad in (
        b"",
        b"not json",
        header + b"\0" * 15,  # not a whole number of doubles
        header + b"\0" * 24,  # one double too many
        b'["ok", [["S", [2], [5], [1]]]]\n' + b"\0" * 16,  # a cell outside the sheet
    ):
        with pytest.raises(ValueError):
            _decode_result(bad)
