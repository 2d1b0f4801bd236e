"""The indicator catalogue: pydantic models, the loader and its cross-checks.

Programme staff edit ``indicator_catalog.yaml`` by hand, so every problem is reported with the
file, the YAML line, the key path, what was found and what was expected; all problems are
collected before the loader gives up, so one run shows everything to fix.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .formulas import Formula, FormulaError, parse_formula

LANGUAGES = ("en", "fr", "es")
AREA_CONTEXT = "context"
DISAGGREGATION_GROUPS = ("sex", "age", "migratory")
TOTAL = "total"
SDG_CODE = re.compile(r"^(1[0-7]|[1-9])\.([1-9][0-9]?|[a-d])(\.[1-9][0-9]?)?$")
RAW_FIELD_CODE = r"^[a-z][a-z0-9_]*$"
INDICATOR_CODE = r"^[A-Z][A-Z0-9]*-[0-9]{2,3}$"

# Every code a catalogue problem can have; each is explained in docs/editing-the-catalogue.md.
PROBLEM_CODES = frozenset(
    {
        "yaml-syntax",
        "unreadable-file",
        "not-a-mapping",
        "missing-section",
        "missing-key",
        "unknown-key",
        "invalid-value",
        "duplicate-key",
        "duplicate-code",
        "unknown-area",
        "missing-context-area",
        "unknown-raw-field",
        "bad-formula",
        "malformed-sdg-code",
        "missing-threshold",
        "thresholds-reversed",
        "threshold-on-context",
        "duplicate-alias",
        "unknown-disaggregation",
        "unused-raw-field",
    }
)

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Translated(StrictModel):
    """A text in each language of the product."""

    en: Text
    fr: Text
    es: Text

    def get(self, lang: str) -> str:
        return getattr(self, lang, None) or self.en


class Aliases(StrictModel):
    en: list[Text] = []
    fr: list[Text] = []
    es: list[Text] = []

    def all(self) -> list[str]:
        return [*self.en, *self.fr, *self.es]


class Disaggregation(StrictModel):
    code: Code
    group: Literal["sex", "age", "migratory"]
    label: Translated


class Area(StrictModel):
    code: Code
    name: Translated
    description: Translated


class RawField(StrictModel):
    code: Annotated[str, Field(pattern=RAW_FIELD_CODE, max_length=64)]
    label: Translated
    help: Translated | None = None
    area: Code
    unit: Text
    type: Literal["count", "amount", "percent", "yes-no", "level", "number"]
    disaggregations: list[Literal["sex", "age", "migratory"]] = []
    part_of: str | None = None
    required: bool = True
    aliases: Aliases = Aliases()


class Indicator(StrictModel):
    code: Annotated[str, Field(pattern=INDICATOR_CODE)]
    name: Translated
    description: Translated
    area: Code
    sdg_targets: list[str] = Field(min_length=1)
    unit: Text
    kind: Literal["rate", "parity", "count", "per-capita", "yes-no", "maturity"]
    formula: Text
    direction: Literal["increase", "decrease", "parity", "none"]
    target: float | None = None
    green: float | None = None
    red: float | None = None
    bounds: tuple[float, float] | None = None
    worst: float | None = None
    parity: float | None = None
    disaggregations: list[Literal["sex", "age", "migratory"]] = []
    source: Text

    @model_validator(mode="after")
    def _bounds_ordered(self) -> Indicator:
        if self.bounds is not None and self.bounds[0] > self.bounds[1]:
            raise ValueError(f"bounds {list(self.bounds)} must be [lowest, highest]")
        return self

    @property
    def scored(self) -> bool:
        return self.direction != "none"


@dataclass(frozen=True)
class CatalogProblem:
    """One problem in the catalogue file, with everything needed to find and fix it."""

    code: str
    severity: Literal["error", "warning"]
    file: str
    line: int | None
    path: str
    found: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.severity} [{self.code}] at {self.path or '(top level)'}: "
            f"found {self.found}; expected {self.expected}"
        )


class CatalogLoadError(Exception):
    """The catalogue has errors; ``problems`` lists them all (warnings included)."""

    def __init__(self, problems: list[CatalogProblem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} error(s) in the indicator catalogue:\n" + "\n".join(map(str, errors))
        )


@dataclass
class Catalog:
    """A loaded, cross-checked catalogue."""

    path: Path
    areas: dict[str, Area]
    raw_fields: dict[str, RawField]
    indicators: dict[str, Indicator]
    disaggregations: dict[str, Disaggregation]
    formulas: dict[str, Formula]
    warnings: list[CatalogProblem] = field(default_factory=list)

    def indicators_in(self, area: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.area == area]

    def raw_fields_in(self, area: str) -> list[RawField]:
        return [r for r in self.raw_fields.values() if r.area == area]

    def disaggregations_of(self, raw_field: RawField) -> list[Disaggregation]:
        return [d for d in self.disaggregations.values() if d.group in raw_field.disaggregations]

    def alias_index(self) -> dict[str, str]:
        """Normalised header text -> raw field code (codes and labels included)."""
        index: dict[str, str] = {}
        for raw in self.raw_fields.values():
            for text in (raw.code, *raw.aliases.all(), raw.label.en, raw.label.fr, raw.label.es):
                index.setdefault(normalize_header(text), raw.code)
        return index

    def counts(self) -> dict[str, tuple[int, int]]:
        """Area code -> (scored indicators, unscored figures)."""
        return {
            code: (
                sum(1 for i in self.indicators_in(code) if i.scored),
                sum(1 for i in self.indicators_in(code) if not i.scored),
            )
            for code in self.areas
        }


@functools.lru_cache(maxsize=65536)
def _normalize_text(text: str) -> str:
    value = unicodedata.normalize("NFKD", text)
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    value = re.sub(r"[\u2010-\u2015]", "-", value)  # typographic dashes
    value = re.sub(r"\s+", " ", value).strip()
    value = re.sub(r"(?<=[a-z)])\d{1,2}$", "", value)
    return value.rstrip(" *").strip()


def normalize_header(text: object) -> str:
    """Header text as compared with aliases: lower case, no accents, single spaces, no footnote
    digits glued to the last word ("Area Code10" -> "area code")."""
    return _normalize_text(str(text))


# ---------------------------------------------------------------------------------------------
# Loading


def load_catalog(path: str | Path) -> Catalog:
    """Load and cross-check a catalogue file; raise CatalogLoadError listing every error."""
    path = Path(path)
    problems = _Problems(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add("unreadable-file", "", f"a file that cannot be read ({exc})", "a UTF-8 YAML file")
        raise CatalogLoadError(problems.items) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(
            "yaml-syntax",
            "",
            str(getattr(exc, "problem", exc)),
            "valid YAML (check indentation, colons and quotes)",
            line=mark.line + 1 if mark else None,
        )
        raise CatalogLoadError(problems.items) from None
    problems.lines = _line_map(node, problems)
    catalog = _build(path, data, problems)
    if any(p.severity == "error" for p in problems.items):
        raise CatalogLoadError(problems.items)
    assert catalog is not None
    catalog.warnings = [p for p in problems.items if p.severity == "warning"]
    return catalog


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[CatalogProblem] = []
        self.lines: dict[tuple, int] = {}

    def line_of(self, loc: tuple) -> int | None:
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)

    def add(
        self,
        code: str,
        loc: tuple | str,
        found: str,
        expected: str,
        *,
        severity: Literal["error", "warning"] = "error",
        line: int | None = None,
    ) -> None:
        assert code in PROBLEM_CODES, code
        loc = tuple(loc) if isinstance(loc, tuple) else ((loc,) if loc else ())
        self.items.append(
            CatalogProblem(
                code=code,
                severity=severity,
                file=self.file,
                line=line if line is not None else self.line_of(loc),
                path=_dotted(loc),
                found=found,
                expected=expected,
            )
        )


def _dotted(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_map(node: yaml.Node | None, problems: _Problems) -> dict[tuple, int]:
    """Key path -> 1-based line, for every node; duplicate mapping keys are reported here
    because yaml.safe_load silently keeps the last one."""
    lines: dict[tuple, int] = {}
    stack: list[tuple[tuple, yaml.Node]] = [((), node)] if node is not None else []
    while stack:
        loc, current = stack.pop()
        lines[loc] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                name = key.value
                if name in seen:
                    lines[(*loc, name)] = key.start_mark.line + 1
                    problems.items.append(
                        CatalogProblem(
                            "duplicate-key",
                            "error",
                            problems.file,
                            key.start_mark.line + 1,
                            _dotted((*loc, name)),
                            f"the key '{name}' twice",
                            "each key once",
                        )
                    )
                seen.add(name)
                stack.append(((*loc, name), value))
                lines.setdefault((*loc, name), key.start_mark.line + 1)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(((*loc, i), item) for i, item in enumerate(current.value))
    return lines


SECTIONS: dict[str, type[StrictModel]] = {
    "disaggregations": Disaggregation,
    "areas": Area,
    "raw_fields": RawField,
    "indicators": Indicator,
}


def _build(path: Path, data: Any, problems: _Problems) -> Catalog | None:
    if not isinstance(data, dict):
        problems.add("not-a-mapping", (), type(data).__name__, "a mapping with areas, raw_fields, indicators")
        return None
    for key in data:
        if key not in (*SECTIONS, "version"):
            problems.add("unknown-key", (key,), f"the key '{key}'", "one of: version, " + ", ".join(SECTIONS))
    parsed: dict[str, dict[str, Any]] = {}
    for section, model in SECTIONS.items():
        parsed[section] = {}
        items = data.get(section)
        if items is None and section == "disaggregations":
            continue
        if not isinstance(items, list) or not items:
            problems.add("missing-section", (section,), repr(items), f"a non-empty list under '{section}'")
            continue
        for i, item in enumerate(items):
            loc = (section, i)
            if section == "indicators" and _unquoted_sdg_codes(problems, loc, item):
                continue
            try:
                obj = model.model_validate(item)
            except ValidationError as exc:
                for err in exc.errors():
                    _schema_problem(problems, loc, err)
                continue
            if obj.code in parsed[section]:
                problems.add(
                    "duplicate-code",
                    (*loc, "code"),
                    f"the code '{obj.code}' a second time",
                    f"a code used once in {section}",
                )
                continue
            parsed[section][obj.code] = (i, obj)
    _cross_check(parsed, problems)
    formulas = {}
    for code, (i, ind) in parsed["indicators"].items():
        try:
            formulas[code] = parse_formula(ind.formula, set(parsed["raw_fields"]))
        except FormulaError as exc:
            code_ = "unknown-raw-field" if exc.code == "formula-unknown-field" else "bad-formula"
            problems.add(
                code_,
                ("indicators", i, "formula"),
                f"'{ind.formula}': {exc.message}",
                "an arithmetic formula over raw field codes",
            )
    used = {f for formula in formulas.values() for f in formula.fields}
    for code, (i, _raw) in parsed["raw_fields"].items():
        if code not in used:
            problems.add(
                "unused-raw-field",
                ("raw_fields", i, "code"),
                f"raw field '{code}' used by no indicator",
                "every raw field used by at least one formula",
                severity="warning",
            )
    return Catalog(
        path=path,
        areas={c: o for c, (_, o) in parsed["areas"].items()},
        raw_fields={c: o for c, (_, o) in parsed["raw_fields"].items()},
        indicators={c: o for c, (_, o) in parsed["indicators"].items()},
        disaggregations={c: o for c, (_, o) in parsed["disaggregations"].items()},
        formulas=formulas,
    )


def _unquoted_sdg_codes(problems: _Problems, loc: tuple, item: Any) -> bool:
    """YAML reads 10.10 as the number 10.1, so an unquoted SDG code cannot be trusted."""
    codes = item.get("sdg_targets") if isinstance(item, dict) else None
    bad = [j for j, c in enumerate(codes or []) if not isinstance(c, str)] if isinstance(codes, list) else []
    for j in bad:
        problems.add(
            "malformed-sdg-code",
            (*loc, "sdg_targets", j),
            f"the number {codes[j]!r}",
            "a quoted SDG code such as '10.7' (YAML reads 10.10 as the number 10.1)",
        )
    return bool(bad)


_PYDANTIC_CODES = {"missing": "missing-key", "extra_forbidden": "unknown-key"}


def _schema_problem(problems: _Problems, loc: tuple, err: dict) -> None:
    full = (*loc, *[p for p in err["loc"] if not isinstance(p, str) or p not in ("tuple",)])
    code = _PYDANTIC_CODES.get(err["type"], "invalid-value")
    if err["type"] == "missing":
        found, expected = "nothing", f"the key '{err['loc'][-1]}'"
    elif err["type"] == "extra_forbidden":
        found, expected = (
            f"the key '{err['loc'][-1]}'",
            "only the keys documented in docs/editing-the-catalogue.md",
        )
    elif err["type"] == "string_type":
        found = repr(err.get("input"))
        expected = "a text (put it in quotes if it contains a comma, a colon or a #)"
    else:
        found = repr(err.get("input"))
        expected = err["msg"].removeprefix("Value error, ").replace("Input should be ", "")
    problems.add(code, full, found, expected)


def _cross_check(parsed: dict[str, dict[str, Any]], problems: _Problems) -> None:
    areas = parsed["areas"]
    raw_fields = parsed["raw_fields"]
    if parsed["areas"] and AREA_CONTEXT not in areas:
        problems.add("missing-context-area", ("areas",), "no area 'context'", "an area with code 'context'")
    aliases: dict[str, tuple[str, int]] = {}
    for code, (i, raw) in raw_fields.items():
        loc = ("raw_fields", i)
        if raw.area not in areas:
            problems.add("unknown-area", (*loc, "area"), f"'{raw.area}'", "one of: " + ", ".join(areas))
        if raw.part_of is not None and raw.part_of not in raw_fields:
            problems.add(
                "unknown-raw-field", (*loc, "part_of"), f"'{raw.part_of}'", "the code of another raw field"
            )
        for lang in LANGUAGES:
            for j, alias in enumerate(getattr(raw.aliases, lang)):
                key = normalize_header(alias)
                owner = aliases.get(key)
                if owner and owner[0] != code:
                    problems.add(
                        "duplicate-alias",
                        (*loc, "aliases", lang, j),
                        f"the header '{alias}', already an alias of '{owner[0]}'",
                        "an alias that belongs to one raw field only",
                    )
                aliases.setdefault(key, (code, i))
    for code, (_i, _raw) in raw_fields.items():
        owner = aliases.get(normalize_header(code))
        if owner and owner[0] != code:
            problems.add(
                "duplicate-alias",
                ("raw_fields", owner[1], "aliases"),
                f"an alias equal to the code of raw field '{code}'",
                "an alias that is not another field's code",
            )
    for i, ind in parsed["indicators"].values():
        loc = ("indicators", i)
        if ind.area not in areas:
            problems.add("unknown-area", (*loc, "area"), f"'{ind.area}'", "one of: " + ", ".join(areas))
        for j, sdg in enumerate(ind.sdg_targets):
            if not SDG_CODE.match(sdg):
                problems.add(
                    "malformed-sdg-code",
                    (*loc, "sdg_targets", j),
                    f"'{sdg}'",
                    "an SDG target like '10.7' or '10.c', or an indicator like '10.c.1'",
                )
        _check_thresholds(problems, loc, ind)
        for group in ind.disaggregations:
            try:
                fields = parse_formula(ind.formula).fields
            except FormulaError:
                break
            lacking = [f for f in fields if f in raw_fields and group not in raw_fields[f][1].disaggregations]
            if lacking:
                problems.add(
                    "unknown-disaggregation",
                    (*loc, "disaggregations"),
                    f"'{group}', which raw field(s) {', '.join(lacking)} do not allow",
                    "a disaggregation allowed by every raw field of the formula",
                )


def _check_thresholds(problems: _Problems, loc: tuple, ind: Indicator) -> None:
    if not ind.scored:
        for key in ("target", "green", "red", "parity"):
            if getattr(ind, key) is not None:
                problems.add(
                    "threshold-on-context",
                    (*loc, key),
                    f"'{key}' on an unscored figure",
                    "no target or thresholds when direction is none",
                )
        return
    missing = [k for k in ("target", "green", "red") if getattr(ind, k) is None]
    if missing:
        problems.add(
            "missing-threshold",
            loc,
            f"no {', '.join(missing)}",
            f"target, green and red for a scored indicator (direction {ind.direction})",
        )
        return
    if ind.direction == "parity" and ind.parity is None:
        problems.add(
            "missing-threshold",
            (*loc, "direction"),
            "direction parity without 'parity'",
            "parity: 1.0 (a ratio) or parity: 0 (a difference)",
        )
    if ind.direction != "parity" and ind.parity is not None:
        problems.add(
            "invalid-value",
            (*loc, "parity"),
            f"parity with direction {ind.direction}",
            "'parity' only when direction is parity",
        )
    higher_better = ind.direction == "increase"
    if (higher_better and ind.green < ind.red) or (not higher_better and ind.green > ind.red):
        side = "at least" if higher_better else "at most"
        problems.add(
            "thresholds-reversed",
            (*loc, "green"),
            f"green {ind.green:g} and red {ind.red:g}",
            f"green {side} red (direction {ind.direction}"
            + (", thresholds are distances from parity)" if ind.direction == "parity" else ")"),
        )
