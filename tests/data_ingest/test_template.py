"""The return template: what a clerk sees, and the contract the upload reader relies on
(values found by the code in hidden column A and the code in the hidden disaggregation row).

Every workbook is saved and read back, with openpyxl and with python-calamine (the fast reader)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from data_ingest.catalog import AREA_CONTEXT, TOTAL, Catalog, load_catalog
from data_ingest.cleaning import MISSING_MARKERS, NO_WORDS, YES_WORDS
from data_ingest.settings import DEFAULT_CATALOG
from data_ingest.template import (
    AREA_PREFIX,
    DATA_SHEET,
    DISAGGREGATION_CODE_ROW,
    FIRST_DATA_ROW,
    HEADER_ROW,
    LAYOUT,
    TEMPLATE_MARKER,
    TEXTS,
    YES_NO_WORDS,
    save_template,
    template_areas,
    template_disaggregations,
    write_template,
)

MINIMAL = Path(__file__).parents[1] / "data" / "catalog" / "minimal.yaml"
LANGS = ("en", "fr", "es")
INSTRUCTIONS_SHEETS = {"en": "Instructions", "fr": "Mode d'emploi", "es": "Instrucciones"}
CODE, NAME, YEAR = "01001", "L'Abergement-Clémenciat", 2024
GREY = "00D9D9D9"


# Added to the minimal catalogue: every field type, help texts, an optional field, and the three
# disaggregation groups declared out of group order (the template must regroup them).
def tr(en: str, fr: str, es: str) -> dict[str, str]:
    return {"en": en, "fr": fr, "es": es}


EXTRA_DISAGGREGATIONS = [
    {"code": "immigrants", "group": "migratory", "label": tr("Immigrants", "Immigrés", "Inmigrantes")},
    {"code": "age_0_14", "group": "age", "label": tr("Aged 0-14", "0-14 ans", "0-14 años")},
    {
        "code": "non_immigrants",
        "group": "migratory",
        "label": tr("Non-immigrants", "Non-immigrés", "No inmigrantes"),
    },
    {"code": "age_15_plus", "group": "age", "label": tr("Aged 15+", "15 ans et plus", "15 años y más")},
]
EXTRA_FIELDS = [
    {
        "code": "residents_by_status",
        "area": "context",
        "unit": "persons",
        "type": "count",
        "disaggregations": ["migratory", "age"],
        "label": tr("Residents by status", "Résidents par statut", "Residentes por condición"),
        "help": tr("On 1 January.", "Au 1er janvier.", "Al 1 de enero."),
    },
    {
        "code": "coordination_level",
        "area": "governance",
        "unit": "level",
        "type": "level",
        "label": tr("Coordination maturity", "Maturité de la coordination", "Madurez de la coordinación"),
        "help": tr("0 none, 3 meets regularly.", "0 aucune, 3 se réunit.", "0 ninguna, 3 se reúne."),
    },
    {
        "code": "remittance_cost_pct",
        "area": "work",
        "unit": "%",
        "type": "percent",
        "required": False,
        "label": tr("Remittance cost", "Coût des envois de fonds", "Costo de las remesas"),
    },
    {
        "code": "diaspora_investment",
        "area": "work",
        "unit": "USD",
        "type": "amount",
        "label": tr("Diaspora investment", "Investissement de la diaspora", "Inversión de la diáspora"),
    },
    {
        "code": "net_migration",
        "area": "context",
        "unit": "persons",
        "type": "number",
        "label": tr("Net migration", "Solde migratoire", "Saldo migratorio"),
    },
]


@pytest.fixture(scope="session")
def rich_path(tmp_path_factory) -> Path:
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    data["disaggregations"] = [EXTRA_DISAGGREGATIONS[0], *data["disaggregations"], *EXTRA_DISAGGREGATIONS[1:]]
    data["raw_fields"] += EXTRA_FIELDS
    path = tmp_path_factory.mktemp("catalog") / "rich.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(params=["minimal", "rich", "real"])
def catalog(request, rich_path) -> Catalog:
    """The real catalogue is part of the matrix on purpose: it must always give a valid template."""
    return load_catalog({"minimal": MINIMAL, "rich": rich_path, "real": DEFAULT_CATALOG}[request.param])


@pytest.fixture
def rich(rich_path) -> Catalog:
    return load_catalog(rich_path)


def build(catalog: Catalog, tmp_path: Path, lang: str = "en", name: str = "return.xlsx") -> Path:
    path = tmp_path / name
    wb = write_template(catalog, municipality_code=CODE, municipality_name=NAME, year=YEAR, lang=lang)
    save_template(wb, path)
    return path


def blank(value: object) -> bool:
    return value is None or value == ""


def calamine_rows(path: Path, sheet: str = DATA_SHEET) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def openpyxl_rows(path: Path, sheet: str = DATA_SHEET) -> list[list]:
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]


def both_readers(path: Path) -> list[list[list]]:
    return [calamine_rows(path), openpyxl_rows(path)]


Values = dict[tuple[str, str], object]


def read_by_codes(rows: list[list]) -> tuple[dict[str, object], Values, dict[str, int]]:
    """What the upload reader does, independently of the writer's constants: the hidden row of
    disaggregation codes is the first row holding "total" after column A; identification values
    are the last non-blank cell of their row; values are keyed by (column A code, hidden-row code).
    Returns (identification, non-blank values, 1-based row of each raw field code)."""
    codes_row = next(r for r in rows if TOTAL in r[1:])
    columns = {c: code for c, code in enumerate(codes_row) if c > 0 and not blank(code)}
    ids: dict[str, object] = {}
    values: Values = {}
    where: dict[str, int] = {}
    for r, row in enumerate(rows, start=1):
        key = row[0] if row else None
        if blank(key) or row is codes_row or str(key).startswith((TEMPLATE_MARKER, AREA_PREFIX)):
            continue
        if key in ("municipality_code", "municipality_name", "year"):
            ids[key] = [v for v in row[1:] if not blank(v)][-1]
            continue
        where[key] = r
        for c, disaggregation in columns.items():
            if c < len(row) and not blank(row[c]):
                values[(key, disaggregation)] = row[c]
    return ids, values, where


def field_rows(ws) -> dict[str, int]:
    return {
        row[0].value: row[0].row
        for row in ws.iter_rows(min_row=FIRST_DATA_ROW, max_col=1)
        if row[0].value and not str(row[0].value).startswith(AREA_PREFIX)
    }


def value_columns(catalog: Catalog) -> list[str]:
    return [TOTAL, *(d.code for d in template_disaggregations(catalog))]


# ---------------------------------------------------------------------------------------------
# What the template contains


@pytest.mark.parametrize("lang", LANGS)
def test_every_raw_field_once_with_its_code_and_label(catalog, tmp_path, lang):
    path = build(catalog, tmp_path, lang)
    expected_fields = [r.code for a in template_areas(catalog) for r in catalog.raw_fields_in(a.code)]
    assert sorted(expected_fields) == sorted(catalog.raw_fields)
    expected_areas = [a.code for a in template_areas(catalog) if catalog.raw_fields_in(a.code)]
    for rows in both_readers(path):
        data_rows = rows[FIRST_DATA_ROW - 1 :]
        codes = [r[0] for r in data_rows if not blank(r[0]) and not r[0].startswith(AREA_PREFIX)]
        assert codes == expected_fields  # each once, grouped by area
        for row in data_rows:
            if row[0] in catalog.raw_fields:
                assert row[1] == catalog.raw_fields[row[0]].label.get(lang)
        headings = [r for r in data_rows if not blank(r[0]) and r[0].startswith(AREA_PREFIX)]
        assert [r[0].removeprefix(AREA_PREFIX) for r in headings] == expected_areas
        assert [r[1] for r in headings] == [catalog.areas[a].name.get(lang) for a in expected_areas]
        assert all(blank(v) for r in headings for v in r[2:-1])  # no inputs on heading rows
        assert headings[0][0] == AREA_PREFIX + AREA_CONTEXT  # context first, then catalogue order


def test_labels_and_headers_are_unique_in_every_language(catalog):
    """A clerk finds a cell by its row label and column heading: neither may be ambiguous."""
    for lang in LANGS:
        labels = [r.label.get(lang) for r in catalog.raw_fields.values()]
        assert len(set(labels)) == len(labels), lang
        headers = [TEXTS[lang]["total"], *(d.label.get(lang) for d in template_disaggregations(catalog))]
        assert len(set(headers)) == len(headers), lang


@pytest.mark.parametrize("lang", LANGS)
def test_marker_municipality_and_year(catalog, tmp_path, lang):
    path = build(catalog, tmp_path, lang)
    for rows in both_readers(path):
        assert rows[0][0] == f"{TEMPLATE_MARKER} v1" == LAYOUT.marker
        ids, values, _ = read_by_codes(rows)
        assert ids == {"municipality_code": CODE, "municipality_name": NAME, "year": YEAR}
        assert values == {}  # a fresh template holds no figure
    ws = load_workbook(path)[DATA_SHEET]
    assert ws[LAYOUT.marker_cell].value == LAYOUT.marker
    assert ws[LAYOUT.municipality_code_cell].value == CODE  # text: the leading zero is kept
    assert ws[LAYOUT.year_cell].value == YEAR
    assert ws[LAYOUT.municipality_name_cell].value == NAME
    for cell in (LAYOUT.municipality_code_cell, LAYOUT.year_cell, LAYOUT.municipality_name_cell):
        assert ws[cell].protection.locked
        assert ws.cell(row=ws[cell].row, column=LAYOUT.code_column).value in (
            "municipality_code",
            "year",
            "municipality_name",
        )
    assert str(YEAR) in ws["B1"].value and NAME in ws["B1"].value


@pytest.mark.parametrize("lang", LANGS)
def test_hidden_codes_headers_and_sheet_setup(catalog, tmp_path, lang):
    path = build(catalog, tmp_path, lang)
    ws = load_workbook(path)[DATA_SHEET]
    texts = TEXTS[lang]
    disaggregations = template_disaggregations(catalog)
    assert ws.column_dimensions["A"].hidden
    assert ws.row_dimensions[DISAGGREGATION_CODE_ROW].hidden
    assert not ws.row_dimensions[HEADER_ROW].hidden
    codes = [c.value for c in ws[DISAGGREGATION_CODE_ROW]]
    assert codes == [None, None, None, *value_columns(catalog), None]  # nothing over label, unit, notes
    headers = [c.value for c in ws[HEADER_ROW]]
    assert headers == [
        None,
        texts["field"],
        texts["unit"],
        texts["total"],
        *(d.label.get(lang) for d in disaggregations),
        texts["notes"],
    ]
    # Groups in the order sex, age, migratory, each group together.
    groups = [d.group for d in disaggregations]
    assert groups == sorted(groups, key=("sex", "age", "migratory").index)
    assert ws.freeze_panes == "D8"
    assert ws.protection.sheet and ws.protection.password is None
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["B"].width >= 40
    for rows in both_readers(path):
        assert rows[DISAGGREGATION_CODE_ROW - 1][3 : 3 + len(value_columns(catalog))] == value_columns(
            catalog
        )


def test_disaggregation_columns_are_regrouped(rich):
    assert [d.code for d in template_disaggregations(rich)] == [
        "women",
        "men",
        "age_0_14",
        "age_15_plus",
        "immigrants",
        "non_immigrants",
    ]


def test_minimal_catalogue_has_only_the_sex_columns(tmp_path):
    catalog = load_catalog(MINIMAL)
    assert value_columns(catalog) == ["total", "women", "men"]


@pytest.mark.parametrize("lang", LANGS)
def test_only_input_cells_are_unlocked(catalog, tmp_path, lang):
    path = build(catalog, tmp_path, lang)
    ws = load_workbook(path)[DATA_SHEET]
    columns = value_columns(catalog)
    notes_col = 4 + len(columns)
    rows = field_rows(ws)
    unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
    expected = set()
    for code, r in rows.items():
        raw = catalog.raw_fields[code]
        allowed = {TOTAL, *(d.code for d in catalog.disaggregations_of(raw))}
        for offset, disaggregation in enumerate(columns):
            cell = ws.cell(row=r, column=4 + offset)
            if disaggregation in allowed:
                expected.add(cell.coordinate)
                assert cell.fill.fgColor.rgb != GREY
            else:
                assert cell.protection.locked and cell.fill.fgColor.rgb == GREY, (code, disaggregation)
        for column in (1, 2, 3, notes_col):
            assert ws.cell(row=r, column=column).protection.locked
    assert unlocked == expected


def test_disallowed_cells_follow_the_raw_field(rich, tmp_path):
    ws = load_workbook(build(rich, tmp_path))[DATA_SHEET]
    rows = field_rows(ws)
    columns = value_columns(rich)

    def locked(code: str) -> list[str]:
        return [d for i, d in enumerate(columns) if ws.cell(row=rows[code], column=4 + i).protection.locked]

    assert locked("migrants_employed") == ["age_0_14", "age_15_plus", "immigrants", "non_immigrants"]
    assert locked("residents_by_status") == ["women", "men"]
    assert locked("population_total") == columns[1:]


EXPECTED_VALIDATION = {
    "count": ("decimal", "greaterThanOrEqual", "0", None),
    "amount": ("decimal", "greaterThanOrEqual", "0", None),
    "percent": ("decimal", "between", "0", "100"),
    "level": ("whole", "between", "0", "3"),
    "number": ("decimal", "between", "-1E+15", "1E+15"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_validation_per_field_type(catalog, tmp_path, lang):
    ws = load_workbook(build(catalog, tmp_path, lang))[DATA_SHEET]
    validations = ws.data_validations.dataValidation
    columns = value_columns(catalog)
    for dv in validations:
        assert dv.errorStyle == "warning"  # the clerk can still confirm "..", "c" or "z"
        assert dv.showErrorMessage and dv.allow_blank
        assert dv.errorTitle == TEXTS[lang]["error_title"] and len(dv.errorTitle) <= 32
        assert dv.error.endswith(TEXTS[lang]["error_markers"]) and len(dv.error) <= 255
    for code, r in field_rows(ws).items():
        raw = catalog.raw_fields[code]
        allowed = {TOTAL, *(d.code for d in catalog.disaggregations_of(raw))}
        for offset, disaggregation in enumerate(columns):
            coordinate = ws.cell(row=r, column=4 + offset).coordinate
            found = [dv for dv in validations if coordinate in dv.sqref]
            if disaggregation not in allowed:
                assert found == []
                continue
            (dv,) = found
            assert dv.error.startswith(TEXTS[lang][f"error_{raw.type}"])
            if raw.type == "yes-no":
                assert (dv.type, dv.formula1) == ("list", '"{},{}"'.format(*YES_NO_WORDS[lang]))
            else:
                assert (dv.type, dv.operator, dv.formula1, dv.formula2) == EXPECTED_VALIDATION[raw.type]


def test_rich_catalogue_covers_every_field_type(rich):
    assert {r.type for r in rich.raw_fields.values()} == {*EXPECTED_VALIDATION, "yes-no"}


@pytest.mark.parametrize("lang", LANGS)
def test_units_and_notes(rich, tmp_path, lang):
    ws = load_workbook(build(rich, tmp_path, lang))[DATA_SHEET]
    rows = field_rows(ws)
    texts = TEXTS[lang]
    notes_col = 4 + len(value_columns(rich))
    assert ws.cell(row=rows["ldp_includes_migration"], column=3).value == texts["unit_yes_no"]
    assert ws.cell(row=rows["coordination_level"], column=3).value == texts["unit_level"]
    assert ws.cell(row=rows["population_total"], column=3).value == texts["units"]["persons"]
    assert ws.cell(row=rows["diaspora_investment"], column=3).value == "USD"
    help_text = rich.raw_fields["coordination_level"].help.get(lang)
    assert ws.cell(row=rows["coordination_level"], column=notes_col).value == help_text
    assert ws.cell(row=rows["remittance_cost_pct"], column=notes_col).value == texts["optional"]
    assert ws.cell(row=rows["population_total"], column=notes_col).value is None


def test_yes_no_words_and_markers_are_understood_by_the_cleaner():
    for yes, no in YES_NO_WORDS.values():
        assert yes in YES_WORDS and no in NO_WORDS
    assert {"1", "0"} <= YES_WORDS | NO_WORDS
    assert {"..", "c", "z"} <= set(MISSING_MARKERS)


@pytest.mark.parametrize("lang", LANGS)
def test_instructions_sheet_first_and_in_the_language(catalog, tmp_path, lang):
    path = build(catalog, tmp_path, lang)
    wb = load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS_SHEETS[lang], DATA_SHEET]
    assert wb.active.title == INSTRUCTIONS_SHEETS[lang]
    assert CalamineWorkbook.from_path(str(path)).sheet_names == [INSTRUCTIONS_SHEETS[lang], DATA_SHEET]
    rows = calamine_rows(path, INSTRUCTIONS_SHEETS[lang])
    assert rows[0][0] == "migdash"
    text = "\n".join(str(r[0]) for r in rows)
    assert NAME in text and CODE in text and str(YEAR) in text
    for line in TEXTS[lang]["instructions"]:
        assert line.split("|", 1)[1].split("{")[0] in text
    assert f" {DISAGGREGATION_CODE_ROW} " in text  # which hidden row must not be deleted
    for marker in ("..", " c ", " z ", " 0 "):
        assert marker in text
    other = {"en": "How to fill it in", "fr": "Comment le remplir", "es": "Cómo llenarlo"}
    for other_lang, heading in other.items():
        assert (heading in text) == (other_lang == lang)


def test_two_calls_give_the_same_workbook(catalog, tmp_path):
    a, b = build(catalog, tmp_path, "fr", "a.xlsx"), build(catalog, tmp_path, "fr", "b.xlsx")
    for sheet in (INSTRUCTIONS_SHEETS["fr"], DATA_SHEET):
        assert calamine_rows(a, sheet) == calamine_rows(b, sheet)
    wa, wb = load_workbook(a), load_workbook(b)
    assert wa.properties.created == wb.properties.created
    dva = [(d.type, str(d.sqref), d.formula1) for d in wa[DATA_SHEET].data_validations.dataValidation]
    dvb = [(d.type, str(d.sqref), d.formula1) for d in wb[DATA_SHEET].data_validations.dataValidation]
    assert dva == dvb


def test_save_to_a_buffer():
    wb = write_template(load_catalog(MINIMAL), municipality_code=CODE, municipality_name=NAME, year=YEAR)
    buffer = io.BytesIO()
    save_template(wb, buffer)
    assert isinstance(wb, Workbook)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(buffer.getvalue())).get_sheet_by_name(DATA_SHEET)
    rows = sheet.to_python()
    assert rows[0][0] == LAYOUT.marker


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="ar"):
        write_template(
            load_catalog(MINIMAL), municipality_code=CODE, municipality_name=NAME, year=YEAR, lang="ar"
        )


# ---------------------------------------------------------------------------------------------
# A clerk fills the template in; the reader finds every value by its codes


def sample_value(ftype: str, i: int, lang: str) -> object:
    return {
        "count": 100 + i,
        "amount": 1000.25 + i,
        "percent": (i % 100) + 0.5,
        "level": i % 4,
        "number": -i - 0.5,
        "yes-no": YES_NO_WORDS[lang][i % 2],
    }[ftype]


def fill_as_a_clerk(ws, catalog: Catalog, lang: str) -> Values:
    """Find each cell by its visible row label and column heading (as a clerk does), type a value
    in every white cell; ".." in one of them. Returns what was typed, keyed by codes."""
    labels = {ws.cell(row=r, column=2).value: r for r in range(FIRST_DATA_ROW, ws.max_row + 1)}
    headings = {ws.cell(row=HEADER_ROW, column=c).value: c for c in range(4, ws.max_column)}
    typed: Values = {}
    i = 0
    for raw in catalog.raw_fields.values():
        row = labels[raw.label.get(lang)]
        wanted = [(TOTAL, TEXTS[lang]["total"])]
        wanted += [(d.code, d.label.get(lang)) for d in catalog.disaggregations_of(raw)]
        for code, heading in wanted:
            cell = ws.cell(row=row, column=headings[heading])
            assert not cell.protection.locked, (raw.code, code)
            value = ".." if not typed else sample_value(raw.type, i, lang)
            cell.value = value
            typed[(raw.code, code)] = value
            i += 1
    return typed


@pytest.mark.parametrize("lang", LANGS)
def test_filled_template_is_read_back_by_codes_even_after_moving_rows(catalog, tmp_path, lang):
    path = build(catalog, tmp_path, lang)
    wb = load_workbook(path)
    ws = wb[DATA_SHEET]
    typed = fill_as_a_clerk(ws, catalog, lang)
    assert ".." in typed.values()
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    for rows in both_readers(filled):
        ids, values, _ = read_by_codes(rows)
        assert ids["municipality_code"] == CODE and ids["year"] == YEAR
        assert values == typed

    # The clerk unprotects the sheet and swaps the first and the last raw field rows.
    wb = load_workbook(filled)
    ws = wb[DATA_SHEET]
    ws.protection.sheet = False
    rows = field_rows(ws)
    first, last = min(rows.values()), max(rows.values())
    right = get_column_letter(ws.max_column)
    spare = ws.max_row + 2
    ws.move_range(f"A{first}:{right}{first}", rows=spare - first)
    ws.move_range(f"A{last}:{right}{last}", rows=first - last)
    ws.move_range(f"A{spare}:{right}{spare}", rows=last - spare)
    moved = tmp_path / "moved.xlsx"
    wb.save(moved)
    for rows_read in both_readers(moved):
        ids, values, where = read_by_codes(rows_read)
        assert ids["municipality_code"] == CODE and ids["year"] == YEAR
        assert values == typed
        swapped = {v: k for k, v in rows.items()}
        assert where[swapped[first]] == last and where[swapped[last]] == first
