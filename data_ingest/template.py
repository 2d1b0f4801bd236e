"""The return template: the .xlsx workbook a municipality downloads, fills in and uploads.

The workbook has two sheets:

1. the instructions sheet (first and active), named per language: "Instructions" (en),
   "Mode d'emploi" (fr), "Instrucciones" (es); cell A1 holds the product name "migdash";
2. the data sheet, always named ``DATA_SHEET`` = "Data" whatever the language.

Layout of the data sheet (the contract the upload reader relies on)::

    row  A (hidden: codes)      B (visible label)     C (unit / value)   D        E ...          last
    1    migdash-template v1    title
    2    municipality_name      "Municipality"        <name>
    3    municipality_code      "Municipality code"   <code> (text)
    4    year                   "Year"                <year> (number)
    5                           hint                                              group labels (By sex ...)
    6    (hidden row)                                                    total    women  men ...
    7                           Field                 Unit               Total    Women  Men ...  Notes
    8    #area:context          <area name>  (bold heading row, no inputs, description under Notes)
    9    population_total       <label>               <unit>             <input>  <grey> ...      <help>
    ...

- Column A (``CODE_COLUMN``) is hidden and holds machine codes only: the marker
  ``"migdash-template v1"`` in A1, the keys ``municipality_code``, ``year`` and ``municipality_name``
  in the identification rows (their value is the *last* non-blank cell of the row, column C), the
  raw field code on each raw field row, and ``"#area:<code>"`` on each area heading row.
- Row 6 (``DISAGGREGATION_CODE_ROW``) is hidden and holds, above each value column, its
  disaggregation code: ``"total"`` (column D), then the disaggregation codes of the catalogue in the
  order sex, age, migratory (catalogue order within a group), limited to the groups that at least one
  raw field allows. No other cell of that row has a value (not the label, unit or Notes columns).
  It is the first row whose cells after column A contain exactly ``"total"``.
- A value is therefore found by (code in column A, code in row 6), never by position: clerks may
  reorder or sort rows after unprotecting the sheet.
- Areas come in catalogue order, except the context area, which comes first: population figures
  are what every office has at hand and they are the denominators of most indicators.
- Input cells are unlocked; everything else is locked, including the grey cells of disaggregations
  a raw field does not allow. The sheet is protected without a password (clerks may unprotect it to
  reorganise rows; the hidden codes keep the return readable).
- Help texts go in the last column, "Notes" (a cell comment would be invisible on print and to
  screen readers); the Notes column has no code in row 6.
- Data validation with ``errorStyle="warning"``: Excel cannot accept both numbers and markers, so a
  clerk typing "..", "c" or "z" gets a warning and confirms. Counts and amounts: decimal >= 0;
  percent: decimal 0-100; level: whole number 0-3; number: any decimal; yes/no: a drop-down list
  of the localized words (``YES_NO_WORDS``: "yes,no", "oui,non", "sí,no"); 1 and 0 are also
  accepted by the reader (cleaning.YES_WORDS / NO_WORDS know every one of these words).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .catalog import (
    AREA_CONTEXT,
    DISAGGREGATION_GROUPS,
    LANGUAGES,
    TOTAL,
    Area,
    Catalog,
    Disaggregation,
    RawField,
)

TEMPLATE_MARKER = "migdash-template"
TEMPLATE_VERSION = 1
DATA_SHEET = "Data"

MARKER_CELL = "A1"
TITLE_CELL = "B1"
MUNICIPALITY_NAME_CELL = "C2"
MUNICIPALITY_CODE_CELL = "C3"
YEAR_CELL = "C4"
CODE_COLUMN = 1  # A, hidden
LABEL_COLUMN = 2  # B
UNIT_COLUMN = 3  # C
TOTAL_COLUMN = 4  # D; disaggregation columns follow, then the Notes column
GROUP_ROW = 5
DISAGGREGATION_CODE_ROW = 6  # hidden
HEADER_ROW = 7
FIRST_DATA_ROW = 8
AREA_PREFIX = "#area:"
MUNICIPALITY_NAME_KEY = "municipality_name"
MUNICIPALITY_CODE_KEY = "municipality_code"
YEAR_KEY = "year"


@dataclass(frozen=True)
class TemplateLayout:
    """Where things are on the data sheet (1-based rows and columns); see the module docstring."""

    marker: str = f"{TEMPLATE_MARKER} v{TEMPLATE_VERSION}"
    marker_cell: str = MARKER_CELL
    municipality_name_cell: str = MUNICIPALITY_NAME_CELL
    municipality_code_cell: str = MUNICIPALITY_CODE_CELL
    year_cell: str = YEAR_CELL
    code_column: int = CODE_COLUMN
    label_column: int = LABEL_COLUMN
    unit_column: int = UNIT_COLUMN
    total_column: int = TOTAL_COLUMN
    group_row: int = GROUP_ROW
    disaggregation_code_row: int = DISAGGREGATION_CODE_ROW
    header_row: int = HEADER_ROW
    first_data_row: int = FIRST_DATA_ROW
    area_prefix: str = AREA_PREFIX


LAYOUT = TemplateLayout()

YES_NO_WORDS = {"en": ("yes", "no"), "fr": ("oui", "non"), "es": ("sí", "no")}

# Every fixed text of the template, per language. Placeholders: {name}, {code}, {year}, {data},
# {code_row}, {notes}, {unit}, {total}.
TEXTS: dict[str, dict[str, str | tuple[str, ...] | dict[str, str]]] = {
    "en": {
        "instructions_sheet": "Instructions",
        "title": "migdash — {year} return of {name} ({code})",
        "municipality": "Municipality",
        "municipality_code": "Municipality code",
        "year": "Year",
        "hint": "Type your figures in the white cells. Blank or .. = not available, c = confidential, "
        "z = not applicable. See the sheet “Instructions”.",
        "field": "Figure",
        "unit": "Unit",
        "total": "Total",
        "notes": "Notes",
        "group_sex": "By sex",
        "group_age": "By age group",
        "group_migratory": "By migratory status",
        "unit_yes_no": "yes / no",
        "unit_level": "level 0-3",
        "optional": "Optional.",
        "units": {"persons": "persons", "people": "people", "households": "households"},
        "error_title": "Check this value",
        "error_count": "Enter a number of 0 or more, without thousands separators. ",
        "error_amount": "Enter an amount of 0 or more, without thousands separators or currency. ",
        "error_percent": "Enter a percentage from 0 to 100, without the % sign. ",
        "error_level": "Enter a whole number from 0 to 3. ",
        "error_number": "Enter a number, without thousands separators. ",
        "error_yes-no": "Choose yes or no (1 for yes and 0 for no are also accepted). ",
        "error_markers": "If you typed .. (not available), c (confidential) or z (not applicable), "
        "confirm to keep it.",
        "instructions": (
            "title|migdash",
            "subtitle|Annual return of {name} (code {code}) for {year}",
            "heading|What this return is",
            "text|This workbook collects the figures your municipality reports each year to the Dashboard "
            "of Indicators on Making Migration Work for the SDGs at Local Level. The dashboard computes your "
            "indicators from them and shows them on your municipality's scorecard.",
            "text|Municipality: {name}, code {code}. Year: {year}. Both are already filled in on the sheet "
            "“{data}”: do not change them. If they are wrong, download a new template.",
            "heading|How to fill it in",
            "text|• Fill in the sheet “{data}”: one figure per white cell, in the unit shown in the column "
            "“{unit}”.",
            "text|• Type plain numbers, without thousands separators or units: 1250, not 1,250 persons. "
            "Percentages without the % sign: 42.5.",
            "text|• “{total}” is the figure for everyone. The other columns break it down (by sex, age group "
            "or migratory status) when you have the figures. Grey cells are not asked for: leave them empty.",
            "text|• Yes/no questions: choose “yes” or “no” in the list (1 for yes and 0 for no are also "
            "accepted). Levels: a whole number from 0 to 3, as explained in the column “{notes}”.",
            "text|• When a figure is not available, leave the cell blank or type .. (two dots). Type c when "
            "it is confidential and z when it does not apply to your municipality. Never type 0 for a "
            "figure you do not know: 0 means “none”.",
            "text|• Excel warns you when you type .., c or z in a cell that expects a number: confirm to "
            "keep it. The same warning appears for values that look wrong: check them before confirming.",
            "text|• The column “{notes}” explains what each figure covers.",
            "heading|Keep the structure",
            "text|The sheet “{data}” is protected so that its structure stays intact; there is no password. "
            "If you must reorganise it (Review › Unprotect Sheet), you may reorder or sort the rows, but "
            "never delete the hidden column A or the hidden row {code_row} above the column headings: they "
            "hold the codes the dashboard uses to read your figures. Do not rename the sheet “{data}”.",
            "heading|How to send it",
            "text|Save the workbook as .xlsx (any file name) and upload it on the migdash dashboard. You see "
            "at once whether every figure was understood and, if not, which cell to correct and why.",
            "text|You can upload a corrected return at any time: the latest upload replaces the earlier "
            "figures, which are kept in the history.",
        ),
    },
    "fr": {
        "instructions_sheet": "Mode d'emploi",
        "title": "migdash — questionnaire {year} de {name} ({code})",
        "municipality": "Commune",
        "municipality_code": "Code de la commune",
        "year": "Année",
        "hint": "Saisissez vos chiffres dans les cellules blanches. Vide ou .. = non disponible, "
        "c = confidentiel, z = sans objet. Voir la feuille « Mode d'emploi ».",
        "field": "Donnée",
        "unit": "Unité",
        "total": "Total",
        "notes": "Notes",
        "group_sex": "Par sexe",
        "group_age": "Par groupe d'âge",
        "group_migratory": "Par statut migratoire",
        "unit_yes_no": "oui / non",
        "unit_level": "niveau 0-3",
        "optional": "Facultatif.",
        "units": {"persons": "personnes", "people": "personnes", "households": "ménages"},
        "error_title": "Vérifiez la valeur",
        "error_count": "Saisissez un nombre supérieur ou égal à 0, sans séparateur de milliers. ",
        "error_amount": "Saisissez un montant supérieur ou égal à 0, sans séparateur de milliers ni devise. ",
        "error_percent": "Saisissez un pourcentage de 0 à 100, sans le signe %. ",
        "error_level": "Saisissez un nombre entier de 0 à 3. ",
        "error_number": "Saisissez un nombre, sans séparateur de milliers. ",
        "error_yes-no": "Choisissez oui ou non (1 pour oui et 0 pour non sont aussi acceptés). ",
        "error_markers": "Si vous avez saisi .. (non disponible), c (confidentiel) ou z (sans objet), "
        "confirmez pour le garder.",
        "instructions": (
            "title|migdash",
            "subtitle|Questionnaire annuel de {name} (code {code}) pour {year}",
            "heading|À quoi sert ce questionnaire",
            "text|Ce classeur recueille les chiffres que votre commune transmet chaque année au Tableau de "
            "bord des indicateurs « Faire de la migration un moteur des ODD au niveau local ». Le tableau de "
            "bord en calcule vos indicateurs et les affiche sur la fiche de résultats de votre commune.",
            "text|Commune : {name}, code {code}. Année : {year}. Ces données sont déjà saisies dans la "
            "feuille « {data} » : ne les modifiez pas. Si elles sont fausses, téléchargez un nouveau modèle.",
            "heading|Comment le remplir",
            "text|• Remplissez la feuille « {data} » : un chiffre par cellule blanche, dans l'unité indiquée "
            "dans la colonne « {unit} ».",
            "text|• Saisissez les nombres sans séparateur de milliers ni unité : 1250, et non 1 250 "
            "personnes. Les pourcentages sans le signe % : 42,5.",
            "text|• « {total} » est le chiffre pour l'ensemble. Les autres colonnes le ventilent (par sexe, "
            "groupe d'âge ou statut migratoire) quand vous disposez des chiffres. Les cellules grises ne "
            "sont pas demandées : laissez-les vides.",
            "text|• Questions oui/non : choisissez « oui » ou « non » dans la liste (1 pour oui et 0 pour "
            "non sont aussi acceptés). Niveaux : un nombre entier de 0 à 3, comme expliqué dans la colonne "
            "« {notes} ».",
            "text|• Quand un chiffre n'est pas disponible, laissez la cellule vide ou saisissez .. (deux "
            "points). Saisissez c s'il est confidentiel et z s'il est sans objet pour votre commune. Ne "
            "saisissez jamais 0 pour un chiffre inconnu : 0 signifie « aucun ».",
            "text|• Excel vous avertit quand vous saisissez .., c ou z dans une cellule qui attend un "
            "nombre : confirmez pour le garder. Le même avertissement apparaît pour les valeurs qui "
            "semblent fausses : vérifiez-les avant de confirmer.",
            "text|• La colonne « {notes} » précise ce que couvre chaque chiffre.",
            "heading|Garder la structure",
            "text|La feuille « {data} » est protégée pour que sa structure reste intacte ; il n'y a pas de "
            "mot de passe. Si vous devez la réorganiser (Révision › Ôter la protection de la feuille), "
            "vous pouvez déplacer ou trier les lignes, mais ne supprimez jamais la colonne A masquée ni la "
            "ligne {code_row} masquée au-dessus des titres de colonnes : elles contiennent les codes qui "
            "permettent au tableau de bord de lire vos chiffres. Ne renommez pas la feuille « {data} ».",
            "heading|Comment l'envoyer",
            "text|Enregistrez le classeur au format .xlsx (nom de fichier libre) et déposez-le sur le "
            "tableau de bord migdash. Vous voyez aussitôt si chaque chiffre a été compris et, sinon, quelle "
            "cellule corriger et pourquoi.",
            "text|Vous pouvez déposer un questionnaire corrigé à tout moment : le dernier dépôt remplace les "
            "chiffres précédents, qui restent dans l'historique.",
        ),
    },
    "es": {
        "instructions_sheet": "Instrucciones",
        "title": "migdash — formulario {year} de {name} ({code})",
        "municipality": "Municipio",
        "municipality_code": "Código del municipio",
        "year": "Año",
        "hint": "Escriba sus cifras en las celdas blancas. Vacío o .. = no disponible, c = confidencial, "
        "z = no aplica. Vea la hoja «Instrucciones».",
        "field": "Dato",
        "unit": "Unidad",
        "total": "Total",
        "notes": "Notas",
        "group_sex": "Por sexo",
        "group_age": "Por grupo de edad",
        "group_migratory": "Por condición migratoria",
        "unit_yes_no": "sí / no",
        "unit_level": "nivel 0-3",
        "optional": "Opcional.",
        "units": {"persons": "personas", "people": "personas", "households": "hogares"},
        "error_title": "Revise el valor",
        "error_count": "Escriba un número igual o mayor que 0, sin separador de miles. ",
        "error_amount": "Escriba un monto igual o mayor que 0, sin separador de miles ni moneda. ",
        "error_percent": "Escriba un porcentaje de 0 a 100, sin el signo %. ",
        "error_level": "Escriba un número entero de 0 a 3. ",
        "error_number": "Escriba un número, sin separador de miles. ",
        "error_yes-no": "Elija sí o no (también se aceptan 1 para sí y 0 para no). ",
        "error_markers": "Si escribió .. (no disponible), c (confidencial) o z (no aplica), confirme para "
        "conservarlo.",
        "instructions": (
            "title|migdash",
            "subtitle|Formulario anual de {name} (código {code}) para {year}",
            "heading|Qué es este formulario",
            "text|Este libro recoge las cifras que su municipio reporta cada año al Tablero de indicadores "
            "«Migración y ODS a nivel local». El tablero calcula con ellas sus indicadores y los muestra en "
            "la ficha de resultados de su municipio.",
            "text|Municipio: {name}, código {code}. Año: {year}. Ya están escritos en la hoja «{data}»: no "
            "los cambie. Si son incorrectos, descargue un nuevo formulario.",
            "heading|Cómo llenarlo",
            "text|• Llene la hoja «{data}»: una cifra por celda blanca, en la unidad indicada en la columna "
            "«{unit}».",
            "text|• Escriba los números sin separador de miles ni unidad: 1250, no 1.250 personas. Los "
            "porcentajes sin el signo %: 42,5.",
            "text|• «{total}» es la cifra para todas las personas. Las demás columnas la desagregan (por "
            "sexo, grupo de edad o condición migratoria) cuando tenga las cifras. Las celdas grises no se "
            "piden: déjelas vacías.",
            "text|• Preguntas sí/no: elija «sí» o «no» en la lista (también se aceptan 1 para sí y 0 para "
            "no). Niveles: un número entero de 0 a 3, como se explica en la columna «{notes}».",
            "text|• Cuando una cifra no esté disponible, deje la celda vacía o escriba .. (dos puntos). "
            "Escriba c si es confidencial y z si no aplica a su municipio. Nunca escriba 0 para una cifra "
            "que no conoce: 0 significa «ninguno».",
            "text|• Excel le avisa cuando escribe .., c o z en una celda que espera un número: confirme para "
            "conservarlo. El mismo aviso aparece con valores que parecen incorrectos: revíselos antes de "
            "confirmar.",
            "text|• La columna «{notes}» explica qué cubre cada cifra.",
            "heading|Conservar la estructura",
            "text|La hoja «{data}» está protegida para que su estructura se mantenga; no tiene contraseña. "
            "Si necesita reorganizarla (Revisar › Desproteger hoja), puede mover u ordenar las filas, pero "
            "nunca elimine la columna A oculta ni la fila {code_row} oculta encima de los títulos de las "
            "columnas: contienen los códigos con los que el tablero lee sus cifras. No cambie el nombre de "
            "la hoja «{data}».",
            "heading|Cómo enviarlo",
            "text|Guarde el libro en formato .xlsx (con cualquier nombre) y súbalo al tablero migdash. Verá "
            "de inmediato si se entendió cada cifra y, si no, qué celda corregir y por qué.",
            "text|Puede subir un formulario corregido en cualquier momento: la última carga reemplaza las "
            "cifras anteriores, que se conservan en el historial.",
        ),
    },
}

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_AREA_FILL = PatternFill("solid", fgColor="BDD7EE")
_GREY_FILL = PatternFill("solid", fgColor="D9D9D9")
_INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="top")
_LABEL_WIDTH, _UNIT_WIDTH, _VALUE_WIDTH, _NOTES_WIDTH = 48, 14, 12, 60


def template_disaggregations(catalog: Catalog) -> list[Disaggregation]:
    """The disaggregation columns after "total": groups in the order sex, age, migratory, catalogue
    order within a group, only groups that at least one raw field allows."""
    used = {g for raw in catalog.raw_fields.values() for g in raw.disaggregations}
    return [
        d
        for group in DISAGGREGATION_GROUPS
        if group in used
        for d in catalog.disaggregations.values()
        if d.group == group
    ]


def template_areas(catalog: Catalog) -> list[Area]:
    """Areas in the order of the template: context first, then catalogue order."""
    return sorted(catalog.areas.values(), key=lambda a: a.code != AREA_CONTEXT)


def write_template(
    catalog: Catalog, *, municipality_code: str, municipality_name: str, year: int, lang: str = "en"
) -> Workbook:
    """Build the return template of one municipality and year, in one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    texts = TEXTS[lang]
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = texts["instructions_sheet"]
    data = workbook.create_sheet(DATA_SHEET)
    ids = {"name": municipality_name, "code": municipality_code, "year": year}
    _write_instructions(instructions, texts, ids)
    _write_data(data, catalog, texts, lang, ids)
    workbook.active = 0
    props = workbook.properties
    props.creator = "migdash"
    props.title = texts["title"].format(**ids)
    props.language = lang
    props.created = dt.datetime(year, 1, 1)  # fixed, so two downloads hold the same metadata
    return workbook


def save_template(workbook: Workbook, path_or_buffer: str | IO[bytes]) -> None:
    """Save the workbook to a path or a binary buffer."""
    workbook.save(path_or_buffer)


def _write_instructions(ws: Worksheet, texts: dict, ids: dict) -> None:
    fmt = {
        **ids,
        "data": DATA_SHEET,
        "code_row": DISAGGREGATION_CODE_ROW,
        "notes": texts["notes"],
        "unit": texts["unit"],
        "total": texts["total"],
    }
    fonts = {
        "title": Font(bold=True, size=20, color="1F4E78"),
        "subtitle": Font(bold=True, size=13),
        "heading": Font(bold=True, size=12, color="1F4E78"),
        "text": Font(size=11),
    }
    ws.column_dimensions["A"].width = 110
    row = 1
    for line in texts["instructions"]:
        kind, text = line.split("|", 1)
        if kind == "heading":
            row += 1  # a blank line before each section
        cell = ws.cell(row=row, column=1, value=text.format(**fmt))
        cell.font = fonts[kind]
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    ws.sheet_view.showGridLines = False
    ws.protection.sheet = True
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _write_data(ws: Worksheet, catalog: Catalog, texts: dict, lang: str, ids: dict) -> None:
    columns = template_disaggregations(catalog)
    notes_col = TOTAL_COLUMN + len(columns) + 1
    bold = Font(bold=True)

    ws[MARKER_CELL] = LAYOUT.marker
    title = ws[TITLE_CELL]
    title.value = texts["title"].format(**ids)
    title.font = Font(bold=True, size=14, color="1F4E78")
    identification = [
        (MUNICIPALITY_NAME_CELL, MUNICIPALITY_NAME_KEY, texts["municipality"], ids["name"]),
        (MUNICIPALITY_CODE_CELL, MUNICIPALITY_CODE_KEY, texts["municipality_code"], str(ids["code"])),
        (YEAR_CELL, YEAR_KEY, texts["year"], int(ids["year"])),
    ]
    for coordinate, key, label, value in identification:
        cell = ws[coordinate]
        ws.cell(row=cell.row, column=CODE_COLUMN, value=key)
        ws.cell(row=cell.row, column=LABEL_COLUMN, value=label).font = bold
        cell.value = value
        cell.font = bold
        cell.fill = _GREY_FILL
        cell.alignment = Alignment(horizontal="left")
        if isinstance(value, str):
            cell.number_format = "@"  # keep leading zeros of codes such as "01001"
    hint = ws.cell(row=GROUP_ROW, column=LABEL_COLUMN, value=texts["hint"])
    hint.font = Font(italic=True, color="595959")
    hint.alignment = _WRAP
    ws.merge_cells(start_row=GROUP_ROW, start_column=LABEL_COLUMN, end_row=GROUP_ROW, end_column=UNIT_COLUMN)
    ws.row_dimensions[GROUP_ROW].height = 45

    # Hidden row of codes, visible headers, group labels above the disaggregation columns.
    labels = [d.label.get(lang) for d in columns]
    headers = [texts["field"], texts["unit"], texts["total"], *labels, texts["notes"]]
    for offset, text in enumerate(headers):
        cell = ws.cell(row=HEADER_ROW, column=LABEL_COLUMN + offset, value=text)
        cell.font = bold
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        horizontal = "left" if offset < 2 else "center"
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal=horizontal)
    ws.cell(row=DISAGGREGATION_CODE_ROW, column=TOTAL_COLUMN, value=TOTAL)
    for i, d in enumerate(columns):
        ws.cell(row=DISAGGREGATION_CODE_ROW, column=TOTAL_COLUMN + 1 + i, value=d.code)
    ws.row_dimensions[DISAGGREGATION_CODE_ROW].hidden = True
    ws.row_dimensions[HEADER_ROW].height = 32
    start = TOTAL_COLUMN + 1
    for group in DISAGGREGATION_GROUPS:
        span = [i for i, d in enumerate(columns) if d.group == group]
        if not span:
            continue
        first, last = start + span[0], start + span[-1]
        cell = ws.cell(row=GROUP_ROW, column=first, value=texts[f"group_{group}"])
        cell.font = bold
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="bottom", wrap_text=True)
        if last > first:
            ws.merge_cells(start_row=GROUP_ROW, start_column=first, end_row=GROUP_ROW, end_column=last)

    validations: dict[str, DataValidation] = {}
    row = FIRST_DATA_ROW
    for area in template_areas(catalog):
        fields = catalog.raw_fields_in(area.code)
        if not fields:
            continue
        ws.cell(row=row, column=CODE_COLUMN, value=f"{AREA_PREFIX}{area.code}")
        for column in range(LABEL_COLUMN, notes_col + 1):
            ws.cell(row=row, column=column).fill = _AREA_FILL
        ws.cell(row=row, column=LABEL_COLUMN, value=area.name.get(lang)).font = Font(bold=True, size=12)
        description = ws.cell(row=row, column=notes_col, value=area.description.get(lang))
        description.alignment = _WRAP
        description.font = Font(italic=True)
        row += 1
        for raw in fields:
            _write_field_row(ws, row, raw, columns, notes_col, texts, lang, validations)
            row += 1
    for validation in validations.values():
        ws.add_data_validation(validation)

    widths = {CODE_COLUMN: 28, LABEL_COLUMN: _LABEL_WIDTH, UNIT_COLUMN: _UNIT_WIDTH, notes_col: _NOTES_WIDTH}
    for column in range(1, notes_col + 1):
        ws.column_dimensions[get_column_letter(column)].width = widths.get(column, _VALUE_WIDTH)
    ws.column_dimensions[get_column_letter(CODE_COLUMN)].hidden = True
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=TOTAL_COLUMN).coordinate
    ws.protection.sheet = True  # no password: clerks may unprotect to reorganise rows
    ws.protection.formatColumns = False  # allowed: widening a column helps reading
    ws.protection.formatRows = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _write_field_row(
    ws: Worksheet,
    row: int,
    raw: RawField,
    columns: list[Disaggregation],
    notes_col: int,
    texts: dict,
    lang: str,
    validations: dict[str, DataValidation],
) -> None:
    ws.cell(row=row, column=CODE_COLUMN, value=raw.code)
    label = ws.cell(row=row, column=LABEL_COLUMN, value=raw.label.get(lang))
    label.alignment = _WRAP
    label.border = _BORDER
    unit = ws.cell(row=row, column=UNIT_COLUMN, value=_unit(raw, texts))
    unit.alignment = _WRAP
    unit.border = _BORDER
    allowed = [True, *(d.group in raw.disaggregations for d in columns)]
    for offset, is_input in enumerate(allowed):
        cell = ws.cell(row=row, column=TOTAL_COLUMN + offset)
        cell.border = _BORDER
        if is_input:
            cell.fill = _INPUT_FILL
            cell.protection = _UNLOCKED
            if raw.type not in validations:
                validations[raw.type] = _validation(raw.type, texts, lang)
            validations[raw.type].add(cell.coordinate)
        else:
            cell.fill = _GREY_FILL
    notes = [texts["optional"]] if not raw.required else []
    if raw.help is not None:
        notes.append(raw.help.get(lang))
    note = ws.cell(row=row, column=notes_col, value=" ".join(notes) or None)
    note.alignment = _WRAP
    note.border = _BORDER


def _unit(raw: RawField, texts: dict) -> str:
    if raw.type == "yes-no":
        return texts["unit_yes_no"]
    if raw.type == "level":
        return texts["unit_level"]
    return texts["units"].get(raw.unit, raw.unit)


def _validation(field_type: str, texts: dict, lang: str) -> DataValidation:
    """One validation per field type. Warning style: markers such as ".." stay possible."""
    rules = {
        "count": {"type": "decimal", "operator": "greaterThanOrEqual", "formula1": "0"},
        "amount": {"type": "decimal", "operator": "greaterThanOrEqual", "formula1": "0"},
        "percent": {"type": "decimal", "operator": "between", "formula1": "0", "formula2": "100"},
        "level": {"type": "whole", "operator": "between", "formula1": "0", "formula2": "3"},
        "number": {"type": "decimal", "operator": "between", "formula1": "-1E+15", "formula2": "1E+15"},
        "yes-no": {"type": "list", "formula1": '"{}"'.format(",".join(YES_NO_WORDS[lang]))},
    }
    return DataValidation(
        **rules[field_type],
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=texts["error_title"],
        error=texts[f"error_{field_type}"] + texts["error_markers"],
    )
