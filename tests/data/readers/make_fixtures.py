"""Build the small spreadsheet fixtures used by tests/data_ingest/test_readers.py.

The fixtures are committed; run this only to rebuild them:

    .venv/bin/python tests/data/readers/make_fixtures.py

openpyxl writes the xlsx files. Two fixtures need packages that are *not* project dependencies and
are only needed here: ``legacy.xls`` (xlwt) and ``encrypted.xlsx`` (msoffcrypto-tool). Install them
somewhere outside the project, e.g. ``pip install --target /tmp/fixture-tools xlwt msoffcrypto-tool``,
and name that folder in FIXTURE_TOOLS=/tmp/fixture-tools (several: separated by ':'); without them
those files are kept as they are. ``build_xlsx`` is also used by the tests to craft workbooks on the fly.
"""

from __future__ import annotations

import datetime
import io
import os
import struct
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def build_xlsx(
    sheets: dict[str, str],
    *,
    shared_strings: str | None = None,
    macro: bool = False,
    extra: dict[str, bytes] | None = None,
    compresslevel: int = 6,
) -> bytes:
    """A minimal xlsx from raw XML: ``sheets`` maps sheet names to the XML inside <worksheet>."""
    types = [
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
        '<Default Extension="xml" ContentType="application/xml"/>',
        f'<Override PartName="/xl/workbook.xml" '
        f'ContentType="{MACRO_WORKBOOK_TYPE if macro else WORKBOOK_TYPE}"/>',
    ]
    sheet_entries, rels, parts = [], [], {}
    for number, (name, body) in enumerate(sheets.items(), start=1):
        sheet_entries.append(f'<sheet name="{escape(name)}" sheetId="{number}" r:id="rId{number}"/>')
        rels.append(
            f'<Relationship Id="rId{number}" Type="{REL_NS}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
        )
        types.append(f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{SHEET_TYPE}"/>')
        parts[f"xl/worksheets/sheet{number}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}">{body}</worksheet>'
        ).encode()
    if shared_strings is not None:
        rels.append(f'<Relationship Id="rIdSst" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>')
        types.append(
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        parts["xl/sharedStrings.xml"] = shared_strings.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
            'schemas.openxmlformats.org/package/2006/content-types">' + "".join(types) + "</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
            f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets>{"".join(sheet_entries)}</sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships '
            f'xmlns="{PKG_REL_NS}">{"".join(rels)}</Relationships>',
        )
        for name, content in {**parts, **(extra or {})}.items():
            zf.writestr(name, content)
    return out.getvalue()


def rewrite_zip(data: bytes, edit) -> bytes:
    """Copy a zip, passing each entry through ``edit(name, content) -> content``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, edit(info.filename, source.read(info.filename)))
    return out.getvalue()


def _openpyxl_bytes(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_xml_edit(old: bytes, new: bytes):
    def edit(name: str, content: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            assert old in content, (old, content)
            return content.replace(old, new)
        return content

    return edit


# ------------------------------------------------------------------------------------------------ xlsx


def basic_workbook():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"] = "Municipal return 2023"
    ws.append([])
    ws.append(["Code", "Municipality", "Population", "Migrants", "Reported on", "Final"])
    ws.append(["M001", "Riverside", 12500, 1234.5, datetime.date(2024, 1, 31), True])
    ws.append(["M002", "Hilltop", 8000, None, datetime.date(2024, 2, 15), False])
    ws["H7"] = "note far right"
    notes = wb.create_sheet("Notes")
    notes.sheet_state = "hidden"
    notes["C2"] = "hidden sheet"
    return wb


def make_xlsx_fixtures() -> dict[str, bytes]:
    import openpyxl

    files = {"basic.xlsx": _openpyxl_bytes(basic_workbook())}

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"], ws["B1"], ws["C1"] = "Municipality", "Rate", "Share"
    ws["A2"], ws["B2"] = "Riverside", "#N/A"  # openpyxl stores error strings as error cells (t="e")
    ws["A3"], ws["B3"], ws["C3"] = "Hilltop", 4, "=B3/0"
    # openpyxl never saves formula results: give C3 the error result Excel would have saved.
    files["error-cells.xlsx"] = rewrite_zip(
        _openpyxl_bytes(wb),
        _sheet_xml_edit(b'<c r="C3"><f>B3/0</f><v /></c>', b'<c r="C3" t="e"><f>B3/0</f><v>#DIV/0!</v></c>'),
    )

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in (["Municipality", "Migrants"], ["Riverside", 20], ["Hilltop", 22]):
        ws.append(row)
    ws["A4"], ws["B4"] = "Total", "=SUM(B2:B3)"
    uncached = _openpyxl_bytes(wb)  # openpyxl never saves a formula result
    files["uncached-formula.xlsx"] = uncached
    files["cached-formula.xlsx"] = rewrite_zip(
        uncached, _sheet_xml_edit(b"<f>SUM(B2:B3)</f><v />", b"<f>SUM(B2:B3)</f><v>42</v>")
    )

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in (
        ["Code", "Name", "Helper", "Value"],
        ["M001", "Riverside", "x", 1],
        ["M002", "Hilltop", "y", 2],
    ):
        ws.append(row)
    ws.row_dimensions[3].hidden = True
    ws.column_dimensions["C"].hidden = True
    files["hidden-row-and-column.xlsx"] = _openpyxl_bytes(wb)

    wb = openpyxl.Workbook()
    wb.active["A1"] = "Municipality"
    plain = _openpyxl_bytes(wb)
    files["huge-declared-dimension.xlsx"] = rewrite_zip(
        plain, _sheet_xml_edit(b'<dimension ref="A1:A1" />', b'<dimension ref="A1:XFD1048576" />')
    )

    # Macro-enabled: a vbaProject.bin part and the macro-enabled content type (the macro is never run).
    def to_xlsm(name: str, content: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return content.replace(WORKBOOK_TYPE.encode(), MACRO_WORKBOOK_TYPE.encode())
        return content

    xlsm = rewrite_zip(_openpyxl_bytes(basic_workbook()), to_xlsm)
    with zipfile.ZipFile(io.BytesIO(xlsm)) as source:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                target.writestr(info.filename, source.read(info.filename))
            target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    files["macro-enabled.xlsm"] = out.getvalue()

    # Crafted files that made python-calamine 0.9.1 abort the whole process (PITFALLS.md).
    files["far-cell-without-dimension.xlsx"] = build_xlsx(
        {
            "Data": '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        }
    )
    files["huge-shared-strings-count.xlsx"] = build_xlsx(
        {"Data": '<dimension ref="A1"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>'},
        shared_strings=f'<sst xmlns="{MAIN_NS}" count="4000000000" uniqueCount="4000000000">'
        "<si><t>hello</t></si></sst>",
    )
    # Entity expansion ("billion laughs") starts with a document type declaration: refused.
    files["doctype-in-sheet.xlsx"] = rewrite_zip(
        build_xlsx({"Data": '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'}),
        _sheet_xml_edit(b"<worksheet ", b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]><worksheet '),
    )
    return files


def make_zip_bomb() -> bytes:
    """A valid little workbook plus 201 MiB of zeros in sharedStrings.xml, ~200 KB on disk."""
    base = build_xlsx({"Data": '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'})
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as stream:
            zeros = b"0" * (1024 * 1024)
            for _ in range(201):
                stream.write(zeros)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------- ods

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def build_ods(tables: str) -> bytes:
    """A minimal hand-made ODS: mimetype stored first, content.xml, META-INF/manifest.xml."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content {ODS_NS} office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:'
        'tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
        'manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype"),
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _ods_cell(value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, float | int):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'


def make_ods_fixtures() -> dict[str, bytes]:
    rows = [
        ["Municipal return 2023"],
        [],
        ["Code", "Municipality", "Migrants"],
        ["M001", "Riverside", 1234.5],
    ]
    body = "".join(
        "<table:table-row>"
        + "".join(_ods_cell(v) for v in row)
        # LibreOffice pads every row to the full width with one repeated empty cell ...
        + '<table:table-cell table:number-columns-repeated="1020"/></table:table-row>'
        for row in rows
    )
    # ... and the sheet to the full height with one repeated empty row: must not count as a huge sheet.
    body += (
        '<table:table-row table:number-rows-repeated="1048572"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
    )
    second = "<table:table-row><table:table-cell/>" + _ods_cell("second sheet") + "</table:table-row>"
    files = {
        "spreadsheet.ods": build_ods(
            f'<table:table table:name="Data">{body}</table:table>'
            f'<table:table table:name="Other">{second}</table:table>'
        ),
        "huge-repeat.ods": build_ods(
            '<table:table table:name="Big"><table:table-row table:number-rows-repeated="100000">'
            '<table:table-cell table:number-columns-repeated="1000" office:value-type="float" '
            'office:value="1"/></table:table-row></table:table>'
        ),
    }
    return files


# ------------------------------------------------------------------------------------------------- xls


def _use_fixture_tools() -> None:
    for folder in reversed(os.environ.get("FIXTURE_TOOLS", "").split(os.pathsep)):
        if folder and folder not in sys.path:
            sys.path.insert(0, folder)


def make_xls_fixtures() -> dict[str, bytes]:
    _use_fixture_tools()
    try:
        import xlwt
    except ImportError:
        print("xlwt not available: keeping the committed .xls fixtures")
        return {}
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Data")
    ws.write(0, 0, "Municipal return 2023")
    for col, value in enumerate(["Code", "Municipality", "Migrants"]):
        ws.write(2, col, value)
    for col, value in enumerate(["M001", "Riverside", 1234.5]):
        ws.write(3, col, value)
    ws.write(4, 1, "Hilltop")
    ws.write(4, 2, 20)
    other = wb.add_sheet("Other")
    other.write(1, 3, "second sheet")
    out = io.BytesIO()
    wb.save(out)
    legacy = out.getvalue()
    files = {"legacy.xls": legacy}

    # A password to open an .xls is a FILEPASS record right after the first BOF of the workbook stream.
    # xlwt writes INTERFACEHDR (0x00E1, 2 bytes) there; turning it into FILEPASS is enough for the check.
    bof = legacy.find(b"\x09\x08\x10\x00")
    position = bof + 4 + 16
    assert legacy[position : position + 2] == b"\xe1\x00", legacy[position : position + 4]
    files["encrypted-legacy.xls"] = legacy[:position] + b"\x2f\x00" + legacy[position + 2 :]

    # A DIMENSIONS record claiming 4 billion rows made python-calamine 0.9.1 abort the process.
    dims = legacy.find(b"\x00\x02\x0e\x00")
    patched = bytearray(legacy)
    struct.pack_into("<I", patched, dims + 8, 0xFFFFFFF0)
    struct.pack_into("<H", patched, dims + 14, 0xFFFF)
    files["huge-dimensions-record.xls"] = bytes(patched)
    return files


def make_encrypted_xlsx() -> dict[str, bytes]:
    _use_fixture_tools()
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        print("msoffcrypto-tool not available: keeping the committed encrypted.xlsx")
        return {}
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "secret"
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(_openpyxl_bytes(wb))).encrypt("password", out)
    return {"encrypted.xlsx": out.getvalue()}


# ------------------------------------------------------------------------------------------------- csv


def make_csv_fixtures() -> dict[str, bytes]:
    rows = [["Code", "Municipality", "Migrants"], ["M001", "Créteil", "1234"], ["M002", "Évry", ""]]

    def text(delimiter: str) -> str:
        return "".join(delimiter.join(row) + "\r\n" for row in rows)

    return {
        "utf8-comma.csv": text(",").encode("utf-8"),
        "utf8-bom-semicolon.csv": text(";").encode("utf-8-sig"),
        "utf16-tab.csv": text("\t").encode("utf-16"),  # what Excel's "Unicode text" writes: BOM + LE
        "cp1252-semicolon.csv": (text(";") + "M003;Saint-Étienne € zone;5\r\n").encode("cp1252"),
        "latin1-comma.csv": text(",").encode("latin-1"),
        "pipe.csv": text("|").encode("utf-8"),
        "quoted-fields.csv": (
            b'Code,Name,Note\nM001,"Riverside, North","said ""hello""\nand left"\nM002,Hilltop,\n'
        ),
        "single-column.csv": b"Municipality\nRiverside\nHilltop\n",
        "title-above-header.csv": (
            b"Municipal return 2023, all municipalities\n\nCode;Municipality;Migrants\nM001;Riverside;1,5\n"
            b"M002;Hilltop;2,25\n"
        ),
    }


# ---------------------------------------------------------------------------------------- not spreadsheets


def _png() -> bytes:
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + checksum

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def make_other_fixtures() -> dict[str, bytes]:
    pdf = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] "
        b"/Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"/>',
        )
        zf.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxml'
            'formats.org/wordprocessingml/2006/main"><w:body/></w:document>',
        )
    html = b"<!DOCTYPE html>\n<html><body><table><tr><td>Code</td></tr></table></body></html>\n"
    return {"document.pdf": pdf, "image.png": _png(), "letter.docx": docx.getvalue(), "web-page.xls": html}


def main() -> None:
    files: dict[str, bytes] = {}
    for make in (
        make_xlsx_fixtures,
        make_ods_fixtures,
        make_xls_fixtures,
        make_encrypted_xlsx,
        make_csv_fixtures,
        make_other_fixtures,
    ):
        files.update(make())
    files["zip-bomb.xlsx"] = make_zip_bomb()
    for name, content in sorted(files.items()):
        limit = 300_000 if name == "zip-bomb.xlsx" else 20_000
        assert len(content) < limit, (name, len(content))
        (HERE / name).write_bytes(content)
        print(f"{name:36} {len(content):>8,} bytes")


if __name__ == "__main__":
    main()
