"""Build the returns-with-problems fixtures: one tiny file per known problem, named after it.

The files are committed; run this to rebuild them (the output is byte-for-byte deterministic):

    .venv/bin/python tests/data/returns-with-problems/make_files.py

Each file holds one problem (or one convention that must be *accepted*) at a cell chosen here; the
expected issues are written by hand in tests/data_ingest/test_returns_with_problems.py. Municipality
codes and names refer to the small register built in that test (XAA-001 Port Lumen, XAA-002 Vellmar
alias Velmar, XAA-003/XAA-004 San Miguel in the North and the South region, ...).

``legacy-excel-97-2003.xls`` needs xlwt (a dev-only tool: ``.venv/bin/pip install xlwt``); without it
the committed file is kept. ``password-protected.xlsx`` is copied from tests/data/readers/encrypted.xlsx
(made there with msoffcrypto-tool, whose output is not deterministic). The zip bomb and the zip with too
many entries are large, so the test builds them into tmp_path with ``zip_bomb()`` and
``too_many_entries()`` below instead of committing them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
FIXED_TIME = "2024-01-01T00:00:00Z"

WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

# The header most wide fixtures use: identification columns, then catalogue aliases.
CODE, YEAR = "Municipality code", "Year"
POP, FOREIGN = "Total population", "Foreign-born population"


# ---------------------------------------------------------------------------------------------- helpers


def _zip(entries: list[tuple[str, bytes]], stored: tuple[str, ...] = ()) -> bytes:
    """A zip with fixed timestamps, entries in the given order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, content)
    return out.getvalue()


def workbook(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None):
    """An openpyxl workbook; rows[r][c] goes to Excel row r + 1, column c + 1 (None = left blank)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
    return wb


def xlsx(wb, *, sheet_edits: list[tuple[bytes, bytes]] = (), macro: bool = False) -> bytes:
    """Save an openpyxl workbook deterministically; ``sheet_edits`` replace bytes in the first sheet's
    XML (to store what openpyxl cannot write, such as a formula's cached result)."""
    wb.properties.created = wb.properties.modified = dt.datetime(2024, 1, 1)
    wb.properties.creator = "migdash tests"
    raw = io.BytesIO()
    wb.save(raw)
    entries = []
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + FIXED_TIME.encode(), content
                )
            if info.filename == "xl/worksheets/sheet1.xml":
                for old, new in sheet_edits:
                    assert old in content, (old, content[-600:])
                    content = content.replace(old, new)
            if macro and info.filename == "[Content_Types].xml":
                vba = b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                content = content.replace(WORKBOOK_TYPE.encode(), MACRO_WORKBOOK_TYPE.encode())
                content = content.replace(b"</Types>", vba + b"</Types>")
            entries.append((info.filename, content))
    if macro:
        # A macro project part (an empty OLE container): its presence makes the file an .xlsm. Macros
        # are never run by the reader; the file must read like any workbook.
        entries.append(("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504))
    return _zip(entries)


def wide(rows: list[list], **kw) -> bytes:
    return xlsx(workbook({"Data": rows}), **kw)


def text_file(rows: list[list], *, delimiter: str, encoding: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode(encoding)


def ods(rows: list[list]) -> bytes:
    """A minimal OpenDocument spreadsheet with one table named Data."""

    def cell(value) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, int | float):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p>'
            "</table:table-cell>"
        )

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Data">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return _zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", content.encode()),
            ("META-INF/manifest.xml", manifest.encode()),
        ],
        stored=("mimetype",),
    )


def xls(rows: list[list]) -> bytes | None:
    try:
        import xlwt
    except ImportError:
        return None
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Data")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template(
    values: dict[tuple[str, str], object],
    *,
    code: str = "XAA-001",
    swap: tuple[str, str] | None = None,
    cells: dict[str, object] | None = None,
) -> bytes:
    """The real return template, filled in as a clerk would: values by (raw field, breakdown); ``cells``
    then overwrites single cells ("C3": None deletes the municipality code)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from data_ingest.catalog import load_catalog
    from data_ingest.settings import DEFAULT_CATALOG
    from data_ingest.template import write_template

    wb = write_template(
        load_catalog(DEFAULT_CATALOG), municipality_code=code, municipality_name="Port Lumen", year=2024
    )
    ws = wb["Data"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    columns = {ws.cell(6, c).value: c for c in range(1, ws.max_column + 1)}
    if swap:
        # The clerk unprotected the sheet and sorted it: whole rows moved, hidden codes with them.
        a, b = rows[swap[0]], rows[swap[1]]
        for c in range(1, ws.max_column + 1):
            ws.cell(a, c).value, ws.cell(b, c).value = ws.cell(b, c).value, ws.cell(a, c).value
        rows[swap[0]], rows[swap[1]] = b, a
    for (raw_field, disaggregation), value in values.items():
        ws.cell(rows[raw_field], columns[disaggregation]).value = value
    for ref, value in (cells or {}).items():
        ws[ref].value = value
    return xlsx(wb)


def _minimal_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


# ------------------------------------------------------------------------------------- generated in tests


def zip_bomb() -> bytes:
    """A valid little workbook plus 201 MiB of zeros in one part: ~200 KB on disk."""
    data = wide([[CODE, YEAR, POP], ["XAA-001", 2024, 12500]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        padding = zipfile.ZipInfo("xl/media/padding.bin", date_time=ZIP_TIME)
        padding.compress_type = zipfile.ZIP_DEFLATED
        with target.open(padding, "w", force_zip64=True) as stream:
            zeros = b"\0" * (1024 * 1024)
            for _ in range(201):
                stream.write(zeros)
    return out.getvalue()


def too_many_entries(n: int = 2500) -> bytes:
    """A valid little workbook padded with thousands of tiny parts."""
    data = wide([[CODE, YEAR, POP], ["XAA-001", 2024, 12500]])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    return _zip(entries + [(f"xl/media/image{i}.png", b"") for i in range(n)])


# ------------------------------------------------------------------------------------------------ files


def files() -> dict[str, bytes | None]:
    import openpyxl  # noqa: F401 - fail early with a clear message when it is missing

    f: dict[str, bytes | None] = {}
    standard = [[CODE, YEAR, POP, FOREIGN], ["XAA-001", 2024, 12500, 1500], ["XAA-002", 2024, 8000, 900]]

    # --- readers: every accepted format holds the same little table
    f["macro-enabled-workbook.xlsm"] = wide(standard, macro=True)
    f["legacy-excel-97-2003.xls"] = xls(standard)
    f["opendocument-spreadsheet.ods"] = ods(standard)
    f["csv-utf8-with-bom-comma.csv"] = text_file(
        [
            ["Código del municipio", "Año", "Población total", "Población nacida en el extranjero"],
            ["XAA-001", "2024", "12500", "1500"],
            ["XAA-002", "2024", "8000", "900"],
        ],
        delimiter=",",
        encoding="utf-8-sig",
    )
    f["csv-cp1252-semicolon-decimal-comma.csv"] = text_file(
        [
            [
                "Code commune",
                "Année",
                "Population municipale",
                "Population née à l'étranger",
                "Discrimination ressentie (%)",
            ],
            ["XAA-001", "2024", "12 500", "1 500", "12,5"],
            ["XAA-002", "2024", "8 000", "900", "7,25"],
        ],
        delimiter=";",
        encoding="cp1252",
    )
    f["csv-utf16-tab.csv"] = text_file(
        [
            ["Municipality code", "Year", "Total population", "Foreign-born population"],
            ["XAA-001", "2024", "12500", "1500"],
            ["XAA-002", "2024", "8000", "900"],
        ],
        delimiter="\t",
        encoding="utf-16",
    )
    f["xlsx-saved-with-csv-extension.csv"] = wide(standard)
    f["pdf-renamed-to-xlsx.xlsx"] = _minimal_pdf()
    f["empty-file.xlsx"] = b""
    readers_encrypted = HERE.parent / "readers" / "encrypted.xlsx"
    f["password-protected.xlsx"] = readers_encrypted.read_bytes() if readers_encrypted.exists() else None

    # --- layouts
    filled = {
        ("population_total", "total"): 12500,
        ("population_total", "women"): 6300,
        ("population_total", "men"): 6200,
        ("foreign_born_population", "total"): 1500,
        ("ldp_includes_migration", "total"): "yes",
        ("coordination_mechanism_level", "total"): 2,
        ("migrants_discrimination_pct", "total"): 12.5,
    }
    f["template-filled-in.xlsx"] = template(filled)
    f["template-rows-reordered.xlsx"] = template(filled, swap=("population_total", "foreign_born_population"))
    f["template-unknown-municipality-code.xlsx"] = template(filled, code="XAA-999")
    f["template-municipality-code-deleted.xlsx"] = template(filled, cells={"C3": None})
    # E9 is population_total / women (row 9: the first figure; column E: the first breakdown).
    f["template-excel-error-in-breakdown-cell.xlsx"] = template(
        {**filled, ("population_total", "women"): "#DIV/0!"}
    )
    f["title-blank-rows-and-notes-around-the-table.xlsx"] = wide(
        [
            ["Annual migration return 2024"],
            ["Source: municipal population register"],
            [],
            ["Note: figures at 31 December; .. = not available"],
            [],
            [CODE, "Municipality", POP, FOREIGN],
            ["XAA-001", "Port Lumen", 12500, 1500],
            [],
            ["XAA-002", "Vellmar", 8000, 900],
            [],
            ["Notes:"],
            ["1) Provisional figures, to be revised in the next return."],
        ]
    )
    f["header-over-two-merged-rows.xlsx"] = xlsx(
        workbook(
            {
                "Data": [
                    [CODE, YEAR, "Employed migrants 15-64", None, None, "Migrants 15-64", None, None],
                    [None, None, "Total", "Women", "Men", "Total", "Women", "Men"],
                    ["XAA-001", 2024, 600, 250, 350, 1000, 450, 550],
                ]
            },
            merges={"Data": ["A1:A2", "B1:B2", "C1:E1", "F1:H1"]},
        )
    )
    f["footnote-digits-glued-to-headers.xlsx"] = wide(
        [
            [
                "Municipality code1",
                "Year2",
                "Total population3",
                "Employed migrants 15-644",
                "Migrants 15-64\u00b9",
            ],
            ["XAA-001", 2024, 12500, 600, 1000],
        ]
    )
    # Case, accents, extra spaces, line breaks and the typographic apostrophe Excel's autocorrect types.
    f["headers-in-french.xlsx"] = wide(
        [
            [
                "  CODE   COMMUNE ",
                "ANNÉE",
                "Population\nmunicipale  totale",
                "population NÉE À L’ÉTRANGER",
                "Cadre de concertation\nmigration (0-3)",
                "Migration dans le PCD (O/N)",
            ],
            ["XAA-001", 2024, 12500, 1500, 2, "Oui"],
        ]
    )
    f["headers-in-spanish.xlsx"] = wide(
        [
            [
                "CÓDIGO DEL MUNICIPIO",
                "año",
                "  Población   total ",
                "Mesa de coordinación\r\nmigratoria (0-3)",
                "MIGRACIÓN EN EL PDOT (SÍ/NO)",
            ],
            ["XAA-001", 2024, 12500, 3, "Sí"],
        ]
    )
    f["unknown-column.xlsx"] = wide(
        [
            [CODE, YEAR, POP, "Bicycles per household"],
            ["XAA-001", 2024, 12500, 1.4],
        ]
    )
    f["long-table.csv"] = text_file(
        [
            ["municipality_code", "year", "raw_field_code", "disaggregation", "value"],
            ["XAA-001", 2024, "population_total", "total", 12500],
            ["XAA-001", 2024, "population_total", "women", 6300],
            ["XAA-001", 2024, "foreign_born_population", "total", 1500],
            ["XAA-002", 2024, "population_total", "total", 8000],
        ],
        delimiter=",",
        encoding="utf-8",
    )
    f["long-table-without-disaggregation-column.csv"] = text_file(
        [
            ["municipality_code", "year", "raw_field_code", "value"],
            ["XAA-001", 2024, "population_total", 12500],
            ["XAA-001", 2024, "foreign_born_population", 1500],
        ],
        delimiter=",",
        encoding="utf-8",
    )
    f["long-table-unknown-field-and-breakdown.csv"] = text_file(
        [
            ["municipality_code", "year", "raw_field_code", "disaggregation", "value"],
            ["XAA-001", 2024, "population_total", "total", 12500],
            ["XAA-001", 2024, "bicycles", "total", 40],
            ["XAA-001", 2024, "population_total", "children", 3100],
        ],
        delimiter=",",
        encoding="utf-8",
    )
    f["no-table-found.xlsx"] = wide(
        [
            ["Dear colleagues,"],
            ["please find below our figures for 2024."],
            [],
            ["Indicator", "Value"],
            ["Population", 12500],
            ["Migrants", 1500],
        ]
    )
    f["data-on-second-sheet.xlsx"] = xlsx(
        workbook(
            {
                "Cover": [["Municipality of Port Lumen"], ["Annual return to the migration dashboard"]],
                "Figures": [[CODE, YEAR, POP], ["XAA-001", 2024, "about 12000"]],
            }
        )
    )
    f["municipality-name-instead-of-code.xlsx"] = wide(
        [
            ["Municipality", YEAR, POP],
            ["Port Lumen", 2024, 12500],
            ["velmar", 2024, 8000],  # a spelling variant the register knows, in lower case
        ]
    )
    f["same-name-in-two-regions-without-region-column.xlsx"] = wide(
        [
            ["Municipality", YEAR, POP],
            ["Port Lumen", 2024, 12500],
            ["San Miguel", 2024, 7000],
        ]
    )
    f["same-name-in-two-regions-with-region-column.xlsx"] = wide(
        [
            ["Municipality", "Region", YEAR, POP],
            ["San Miguel", "South", 2024, 5000],
            ["San Miguel", "North", 2024, 7000],
        ]
    )
    f["misspelt-municipality-code.xlsx"] = wide([[CODE, YEAR, POP], ["XAA-01", 2024, 12500]])
    f["misspelt-municipality-name.xlsx"] = wide([["Municipality", YEAR, POP], ["Port Lumenn", 2024, 12500]])
    f["unknown-municipality.xlsx"] = wide(
        [
            [CODE, YEAR, POP],
            ["XAA-001", 2024, 12500],
            ["ZZZ-999", 2024, 800],
        ]
    )
    f["municipality-missing-in-a-row.xlsx"] = wide(
        [
            [CODE, YEAR, POP],
            ["XAA-001", 2024, 12500],
            [None, 2024, 800],
        ]
    )
    f["year-cell-blank.xlsx"] = wide([[CODE, YEAR, POP], ["XAA-001", 2024, 12500], ["XAA-002", None, 8000]])
    f["year-not-given-anywhere.xlsx"] = wide([[CODE, POP], ["XAA-001", 12500], ["XAA-002", 8000]])
    f["year-invalid.xlsx"] = wide([[CODE, YEAR, POP], ["XAA-001", "2023/24", 12500]])
    f["year-out-of-range.xlsx"] = wide([[CODE, YEAR, POP], ["XAA-001", 2031, 12500]])
    f["subtotal-rows-in-wide-table.xlsx"] = wide(
        [
            [CODE, "Municipality", YEAR, POP],
            ["XAA-001", "Port Lumen", 2024, 12500],
            ["XAA-003", "San Miguel", 2024, 7000],
            [None, "Subtotal North", 2024, 19500],
            ["XAA-002", "Vellmar", 2024, 8000],
            [None, "Sub-total South", 2024, 8000],
            ["TOTAL", None, 2024, 27500],
        ]
    )

    # --- value cleaning
    f["numbers-stored-as-text.xlsx"] = wide(
        [
            [CODE, YEAR, POP, FOREIGN],
            ["XAA-001", "2024", "12500", " 1500 "],
        ]
    )
    f["thousands-separator-as-text.xlsx"] = wide(
        [
            [CODE, YEAR, POP],
            ["XAA-001", 2024, "1,165"],
            ["XAA-002", 2024, "1.165"],
            ["XAA-005", 2024, "1 165"],
            ["XAA-006", 2024, "1\u00a0165"],
            ["XAA-007", 2024, "1,234,567"],
        ]
    )
    f["decimal-comma.xlsx"] = wide(
        [
            [CODE, YEAR, "Perceived discrimination (%)", "Cost of sending USD 200 (%)"],
            ["XAA-001", 2024, "12,5", "6,75"],
        ]
    )
    f["percent-sign.xlsx"] = wide(
        [
            [CODE, YEAR, "Perceived discrimination (%)", "Cost of sending USD 200 (%)"],
            ["XAA-001", 2024, "45 %", "7.5%"],
        ]
    )
    f["excel-error-values.xlsx"] = wide(
        [
            [CODE, YEAR, POP, FOREIGN],
            ["XAA-001", 2024, "#N/A", "#DIV/0!"],  # openpyxl stores these strings as error cells (t="e")
        ]
    )
    f["formula-with-cached-value.xlsx"] = wide(
        [[CODE, YEAR, POP, FOREIGN], ["XAA-001", 2024, "=12000+500", 1500]],
        sheet_edits=[(b"<f>12000+500</f><v />", b"<f>12000+500</f><v>12500</v>")],
    )
    f["formula-without-cached-value.xlsx"] = wide(  # openpyxl never saves a formula's result
        [[CODE, YEAR, POP, FOREIGN], ["XAA-001", 2024, "=12000+500", 1500]],
    )
    f["missing-markers.xlsx"] = wide(
        [
            [
                CODE,
                YEAR,
                "population_total",
                "foreign_born_population",
                "returnees_year",
                "emigrants_abroad",
                "refugees_asylum_seekers_hosted",
                "idps_hosted",
                "migrants_working_age",
                "host_working_age",
                "migrants_employed",
                "host_employed",
                "migrants_labour_force",
                "host_labour_force",
                "datasets_core_total",
            ],
            [
                "XAA-001",
                2024,
                "..",
                ":",
                "-",
                "--",
                "c",
                "z",
                "x",
                "n/a",
                "s.o.",
                "nd",
                None,
                "                  :",
                5,
            ],
        ]
    )

    # --- rules
    f["percent-out-of-range.xlsx"] = wide(
        [
            [CODE, YEAR, "Perceived discrimination (%)", "Cost of sending USD 200 (%)"],
            ["XAA-001", 2024, 112, -5],
        ]
    )
    f["yes-no-answer-that-is-not.xlsx"] = wide(
        [
            [CODE, YEAR, "Migration in local plan (Y/N)", "Migration budget line", "Migrant help desk"],
            ["XAA-001", 2024, "maybe", 2, "no"],
        ]
    )
    f["level-out-of-range.xlsx"] = wide(
        [
            [
                CODE,
                YEAR,
                "Coordination mechanism level",
                "Migrant participation level",
                "Diaspora engagement level",
            ],
            ["XAA-001", 2024, 4, 1.5, 3],
        ]
    )
    f["negative-count.xlsx"] = wide([[CODE, YEAR, POP, FOREIGN], ["XAA-001", 2024, 12500, -12]])
    f["count-not-whole.xlsx"] = wide([[CODE, YEAR, POP, FOREIGN], ["XAA-001", 2024, 12500, 1500.5]])
    f["breakdown-above-its-total.xlsx"] = wide(
        [
            [CODE, YEAR, POP, "Total population - Women", "Total population - Men"],
            ["XAA-001", 2024, 1000, 1200, 400],
        ]
    )
    f["part-above-its-whole-field.xlsx"] = wide(
        [
            [CODE, YEAR, POP, FOREIGN],
            ["XAA-001", 2024, 1000, 1500],  # more people born abroad than residents
        ]
    )
    f["indicator-outside-its-bounds.xlsx"] = wide(
        [
            [CODE, YEAR, "School-age migrant children", "Migrant pupils enrolled"],
            ["XAA-001", 2024, 100, 130],  # EDU-01 = 130 / 100 * 100 = 130 %
        ]
    )
    f["duplicate-row-same-value.csv"] = text_file(
        [
            ["municipality_code", "year", "raw_field_code", "disaggregation", "value"],
            ["XAA-001", 2024, "population_total", "total", 12500],
            ["XAA-001", 2024, "foreign_born_population", "total", 1500],
            ["XAA-001", 2024, "population_total", "total", 12500],
        ],
        delimiter=",",
        encoding="utf-8",
    )
    f["conflicting-values.csv"] = text_file(
        [
            ["municipality_code", "year", "raw_field_code", "disaggregation", "value"],
            ["XAA-001", 2024, "population_total", "total", 12500],
            ["XAA-001", 2024, "foreign_born_population", "total", 1500],
            ["XAA-001", 2024, "population_total", "total", 12800],
        ],
        delimiter=",",
        encoding="utf-8",
    )
    f["date-where-count-expected.xlsx"] = wide(
        [
            [CODE, YEAR, POP, FOREIGN],
            ["XAA-001", 2024, 12500, dt.datetime(2024, 1, 15)],  # "1.15" typed in a cell Excel read as a date
        ]
    )
    f["text-in-number-cell.xlsx"] = wide(
        [
            [CODE, YEAR, POP, FOREIGN],
            ["XAA-001", 2024, 12500, "about 1500"],
            ["XAA-002", 2024, "8000 persons", 900],
        ]
    )
    f["large-change-from-last-year.xlsx"] = wide(
        [
            [CODE, YEAR, POP, "Perceived discrimination (%)"],
            ["XAA-001", 2024, 30000, 45],  # last year (history in the test): 12500 and 12 %
        ]
    )
    f["outlier-among-municipalities.xlsx"] = wide(
        [
            [CODE, YEAR, POP],
            ["XAA-001", 2024, 950000],  # the six others (history in the test): 10,000 to 15,000
        ]
    )
    return f


def main() -> None:
    for name, content in files().items():
        if content is None:
            print(f"{name}: tool not available, keeping the committed file")
            continue
        (HERE / name).write_bytes(content)
        print(f"{name}: {len(content):,} bytes")


if __name__ == "__main__":
    main()
