"""The catalogue loader: the shipped catalogue is valid, and each kind of mistake is reported
with its stable code and the YAML line where it is (found here by searching the broken text,
independently of the loader)."""

from pathlib import Path

import pytest

from data_ingest.catalog import SDG_CODE, CatalogLoadError, load_catalog, normalize_header
from data_ingest.settings import DEFAULT_CATALOG

MINIMAL = Path(__file__).parents[1] / "data" / "catalog" / "minimal.yaml"


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``marker``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    return hits[occurrence - 1]


def broken(tmp_path: Path, old: str, new: str, count: int = 1) -> tuple[Path, str]:
    text = MINIMAL.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"fixture no longer contains {old!r}"
    text = text.replace(old, new, count)
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def problems_of(path: Path) -> list[tuple[str, str, int | None]]:
    with pytest.raises(CatalogLoadError) as excinfo:
        load_catalog(path)
    return [(p.code, p.severity, p.line) for p in excinfo.value.problems]


def test_minimal_fixture_is_valid():
    catalog = load_catalog(MINIMAL)
    assert catalog.warnings == []
    assert catalog.counts() == {"governance": (1, 0), "work": (2, 0), "context": (0, 1)}


# (name, old text, new text, expected code, marker whose line the error must point at)
CASES = [
    ("duplicate-code", "  - code: WORK-02\n", "  - code: WORK-01\n", "duplicate-code", ("code: WORK-01", 2)),
    (
        "unknown-raw-field",
        "formula: migrants_employed / migrants_working_age * 100",
        "formula: migrants_employd / migrants_working_age * 100",
        "unknown-raw-field",
        ("migrants_employd", 1),
    ),
    (
        "unknown-area",
        "    area: work\n    sdg_targets: ['8.5']",
        "    area: jobs\n    sdg_targets: ['8.5']",
        "unknown-area",
        ("area: jobs", 1),
    ),
    (
        "unknown-area-raw",
        "    area: governance\n    unit: yes/no",
        "    area: govern\n    unit: yes/no",
        "unknown-area",
        ("area: govern", 1),
    ),
    (
        "thresholds-reversed",
        "    green: 65\n    red: 50",
        "    green: 45\n    red: 50",
        "thresholds-reversed",
        ("green: 45", 1),
    ),
    (
        "parity-reversed",
        "    green: 0.05\n    red: 0.15",
        "    green: 0.25\n    red: 0.15",
        "thresholds-reversed",
        ("green: 0.25", 1),
    ),
    ("missing-threshold", "    target: 70\n", "", "missing-threshold", ("- code: WORK-01", 1)),
    ("missing-parity", "    parity: 1.0\n", "", "missing-threshold", ("direction: parity", 1)),
    (
        "malformed-sdg-code",
        "sdg_targets: ['8.5', '10.2']",
        "sdg_targets: ['8.5', '18.2']",
        "malformed-sdg-code",
        ("'18.2'", 1),
    ),
    ("unquoted-sdg-code", "sdg_targets: ['8.5']", "sdg_targets: [8.5]", "malformed-sdg-code", ("[8.5]", 1)),
    (
        "duplicate-alias",
        "en: [Non-migrants 15-64]",
        "en: [Migrants 15–64]",
        "duplicate-alias",
        ("Migrants 15–64", 1),
    ),
    (
        "alias-is-another-code",
        "en: [Non-migrants 15-64]",
        "en: [population_total]",
        "duplicate-alias",
        ("en: [population_total]", 1),
    ),
    (
        "bad-formula",
        "formula: population_total",
        "formula: population_total.__class__",
        "bad-formula",
        ("formula: population_total.__class__", 1),
    ),
    (
        "formula-syntax",
        "formula: population_total",
        "formula: population_total / (",
        "bad-formula",
        ("formula: population_total / (", 1),
    ),
    (
        "unknown-key",
        "    source: Census or civil register",
        "    source: Census\n    colour: red",
        "unknown-key",
        ("colour: red", 1),
    ),
    ("missing-key", "    source: Census or civil register\n", "", "missing-key", ("- code: CTX-01", 1)),
    ("wrong-kind", "    kind: rate", "    kind: ratio", "invalid-value", ("kind: ratio", 1)),
    (
        "duplicate-key",
        "    source: Census or civil register",
        "    source: Census\n    source: Register",
        "duplicate-key",
        ("source: Register", 1),
    ),
    (
        "unknown-part-of",
        "part_of: migrants_working_age",
        "part_of: migrants_of_working_age",
        "unknown-raw-field",
        ("part_of: migrants_of_working_age", 1),
    ),
    (
        "unknown-disaggregation",
        "    disaggregations: [sex]\n    source: OECD",
        "    disaggregations: [sex]\n    source: OECD",
        "unknown-disaggregation",
        None,
    ),
    (
        "threshold-on-context",
        "    direction: none\n",
        "    direction: none\n    target: 5\n",
        "threshold-on-context",
        ("target: 5", 1),
    ),
    ("yaml-syntax", "    kind: count\n", "    kind: count\n   formula: [\n", "yaml-syntax", None),
    (
        "unquoted-comma-in-text",
        "fr: Résidents., es: Residentes.",
        "fr: Résidents, 12, es: Residentes.",
        "invalid-value",
        ("Résidents, 12", 1),
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "code", "marker"), CASES, ids=[c[0] for c in CASES])
def test_each_mistake_is_reported_with_code_and_line(tmp_path, name, old, new, code, marker):
    if name == "unknown-disaggregation":
        # WORK-02 may not be shown by sex: host_employed does not allow that breakdown.
        old, new = (
            "    target: 0\n    green: 0.05",
            "    disaggregations: [sex]  # by sex\n    target: 0\n    green: 0.05",
        )
        marker = ("# by sex", 1)
    path, text = broken(tmp_path, old, new)
    problems = problems_of(path)
    codes = [p[0] for p in problems if p[1] == "error"]
    assert code in codes, problems
    if marker is not None:
        expected_line = line_of(text, *marker)
        assert (code, "error", expected_line) in problems, problems
    if name == "yaml-syntax":
        assert problems[0][2] is not None


def test_error_message_names_file_line_path_found_and_expected(tmp_path):
    path, text = broken(tmp_path, "    green: 65\n    red: 50", "    green: 45\n    red: 50")
    with pytest.raises(CatalogLoadError) as excinfo:
        load_catalog(path)
    (problem,) = excinfo.value.problems
    message = str(problem)
    assert message.startswith(f"{path}:{line_of(text, 'green: 45')}: error [thresholds-reversed]")
    assert "indicators[1].green" in message
    assert "found green 45 and red 50" in message
    assert "expected green at least red" in message


def test_unused_raw_field_is_a_warning_not_an_error(tmp_path):
    path, text = broken(
        tmp_path,
        "  - code: population_total\n",
        "  - code: spare_field\n    label: {en: Spare, fr: Libre, es: Libre}\n    area: context\n"
        "    unit: persons\n    type: count\n  - code: population_total\n",
    )
    catalog = load_catalog(path)
    assert [(w.code, w.line) for w in catalog.warnings] == [
        ("unused-raw-field", line_of(text, "code: spare_field"))
    ]


def test_all_errors_are_collected_in_one_run(tmp_path):
    path, _ = broken(tmp_path, "    green: 65\n    red: 50", "    green: 45\n    red: 50")
    text = path.read_text().replace("kind: rate", "kind: ratio").replace("area: jobs", "area: x")
    path.write_text(text.replace("sdg_targets: ['8.5', '10.2']", "sdg_targets: ['8.x']"))
    codes = sorted(p[0] for p in problems_of(path))
    assert codes == ["invalid-value", "malformed-sdg-code"]


@pytest.mark.parametrize(
    "hostile",
    ["__import__('os').system('x')", "().__class__", "9**9**9", "lambda: 1", "open('x')"],
)
def test_hostile_formula_rejected_at_load(tmp_path, hostile):
    path, text = broken(tmp_path, "formula: population_total", f'formula: "{hostile}"')
    assert ("bad-formula", "error", line_of(text, hostile)) in problems_of(path)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("10.7", True),
        ("10.c", True),
        ("10.c.1", True),
        ("17.18", True),
        ("1.3", True),
        ("3.b.3", True),
        ("0.1", False),
        ("18.1", False),
        ("10", False),
        ("10.e", False),
        ("10.7.", False),
        ("sdg10.7", False),
    ],
)
def test_sdg_code_pattern(code, valid):
    assert bool(SDG_CODE.match(code)) is valid


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Area Code10", "area code"),
        ("  Población   nacida\nen el extranjero ", "poblacion nacida en el extranjero"),
        ("Élèves inscrits", "eleves inscrits"),
        ("Population 15–64", "population 15-64"),
        ("Cost of sending $200 (%)", "cost of sending $200 (%)"),
    ],
)
def test_normalize_header(header, normalised):
    assert normalize_header(header) == normalised


def test_shipped_catalogue_meets_the_brief():
    catalog = load_catalog(DEFAULT_CATALOG)
    assert catalog.warnings == []
    counts = catalog.counts()
    thematic = [a for a in counts if a != "context"]
    assert len(thematic) == 8
    assert all(counts[a][0] >= 4 for a in thematic), counts
    assert sum(s for s, _ in counts.values()) >= 45
    assert counts["context"][1] >= 6
    for ind in catalog.indicators.values():
        assert all(getattr(ind.name, lang).strip() for lang in ("en", "fr", "es"))
        assert ind.source.strip()
    for raw in catalog.raw_fields.values():
        assert raw.aliases.all(), f"{raw.code} has no header aliases"
