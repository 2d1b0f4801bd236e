"""Safe, vectorised evaluation of catalogue formulas.

Formulas come from a YAML file that programme staff edit, so they are data, never code: they are
parsed with :mod:`ast` into a small whitelist (numbers, raw field names, ``+ - * /``, parentheses,
unary minus, ``min``, ``max``, ``abs``) and evaluated with numpy over many municipalities and
years at once. Nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_FORMULA_LENGTH = 500
MAX_NODES = 200
FUNCTIONS = {"min": 2, "max": 2, "abs": 1}  # name -> number of arguments
DENOMINATOR_ZERO = "denominator is zero"
NOT_FINITE = "result is not a finite number"

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_READABLE_OP = {"+": "+", "-": "−", "*": "×", "/": "÷"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


class FormulaError(ValueError):
    """A formula that is not allowed; ``code`` is stable, ``str()`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Formula:
    """A parsed, whitelisted formula."""

    source: str
    tree: ast.expr
    fields: tuple[str, ...]  # raw fields in order of first appearance

    def readable(self, labels: Mapping[str, str] | None = None) -> str:
        """The formula with × and ÷ (and raw field labels if given), for people to read."""
        return _render(self.tree, labels or {}, 0)


def parse_formula(text: object, known_fields: Collection[str] | None = None) -> Formula:
    """Parse and check a formula; raise FormulaError saying what is wrong and what is allowed."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("formula-empty", "the formula is empty; write e.g. 'a / b * 100'")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            "formula-too-long", f"the formula has {len(text)} characters (at most {MAX_FORMULA_LENGTH})"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise FormulaError(
            "formula-syntax",
            "the formula is not a valid arithmetic expression; use raw field codes, numbers, "
            "+ - * /, parentheses, min(a, b), max(a, b), abs(x)",
        ) from None
    fields: list[str] = []
    count = 0
    # Iterative walk: a deeply nested formula must not exhaust Python's recursion limit.
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError("formula-too-long", f"the formula has more than {MAX_NODES} parts")
        stack.extend(reversed(_children(node, known_fields, fields)))
    if not fields:
        raise FormulaError("formula-no-field", "the formula uses no raw field; it must use at least one")
    if _depth(tree) > 30:
        raise FormulaError("formula-too-long", "the formula is nested more than 30 levels deep")
    return Formula(source=text.strip(), tree=tree, fields=tuple(dict.fromkeys(fields)))


def _children(node: ast.AST, known: Collection[str] | None, fields: list[str]) -> list[ast.AST]:
    """Check one node against the whitelist and return the nodes below it."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return [node.operand]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError("formula-forbidden", f"{node.value!r} is not a number")
        if not np.isfinite(float(node.value)) or abs(node.value) > 1e15:
            raise FormulaError("formula-forbidden", f"the number {node.value!r} is too large")
        return []
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise FormulaError("formula-forbidden", f"{node.id} is a function: write {node.id}(a, b)")
        if known is not None and node.id not in known:
            raise FormulaError("formula-unknown-field", f"'{node.id}' is not a raw field of the catalogue")
        fields.append(node.id)
        return []
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            raise FormulaError(
                "formula-forbidden",
                "only min(a, b), max(a, b) and abs(x) may be called in a formula",
            )
        if (
            node.keywords
            or len(node.args) != FUNCTIONS[name]
            or any(isinstance(a, ast.Starred) for a in node.args)
        ):
            raise FormulaError("formula-forbidden", f"{name}() takes exactly {FUNCTIONS[name]} argument(s)")
        return list(node.args)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        what = "powers (**)"
    else:
        what = {
            ast.Attribute: "attribute access (a.b)",
            ast.Subscript: "subscripts (a[b])",
            ast.Lambda: "lambda",
            ast.ListComp: "comprehensions",
            ast.GeneratorExp: "comprehensions",
            ast.Compare: "comparisons",
            ast.BoolOp: "and/or",
            ast.IfExp: "if/else",
        }.get(type(node), type(node).__name__)
    raise FormulaError(
        "formula-forbidden",
        f"{what} not allowed in a formula; use raw field codes, numbers, + - * /, parentheses, min, max, abs",
    )


def _depth(node: ast.AST) -> int:
    depth, frontier = 0, [node]
    while frontier:
        depth += 1
        frontier = [c for n in frontier for c in ast.iter_child_nodes(n) if isinstance(c, ast.expr)]
    return depth


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass
class Result:
    """Values and, where a value is missing, why (index aligned with the input frame)."""

    value: pd.Series
    reason: pd.Series


def evaluate(formula: Formula, data: pd.DataFrame, reasons: pd.DataFrame | None = None) -> Result:
    """Evaluate a formula on every row of ``data`` (one column per raw field, NaN when missing).

    ``reasons`` may hold, per raw field column, why an input is missing ("confidential"); the
    result's reason then reads "input X missing (confidential)". A zero denominator gives a
    missing value with the reason "denominator is zero". Nothing is imputed.
    """
    columns = {
        f: pd.to_numeric(data[f], errors="coerce").to_numpy(dtype=float)
        for f in formula.fields
        if f in data.columns
    }
    why = None
    if reasons is not None:
        why = {
            f: reasons[f].reindex(data.index).to_numpy(dtype=object)
            for f in formula.fields
            if f in reasons.columns
        }
    value, reason = evaluate_arrays(formula, columns, len(data.index), why)
    return Result(pd.Series(value, index=data.index, dtype=float), pd.Series(reason, index=data.index))


def evaluate_arrays(
    formula: Formula,
    columns: Mapping[str, np.ndarray],
    n: int,
    reasons: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The engine: float arrays per raw field in, (values, reasons) arrays out; an absent field
    is missing everywhere."""
    reason = np.full(n, None, dtype=object)
    for field in formula.fields:
        column = columns.get(field)
        missing = (np.ones(n, dtype=bool) if column is None else np.isnan(column)) & (reason == None)  # noqa: E711
        if missing.any():
            base = f"input {field} missing"
            detail = reasons.get(field) if reasons is not None else None
            if detail is None:
                reason[missing] = base
            else:
                # Once per distinct reason, not once per value (a few reasons, thousands of values).
                at = np.flatnonzero(missing)
                which, whys = pd.factorize(np.asarray(detail, dtype=object)[at])  # no reason: -1
                texts = [base + (f" ({why})" if isinstance(why, str) and why else "") for why in whys]
                reason[at] = np.array([*texts, base], dtype=object)[which]
    zero_div = np.zeros(n, dtype=bool)
    with np.errstate(all="ignore"):
        value = _eval(formula.tree, columns, n, zero_div)
    value = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    free = reason == None  # noqa: E711
    reason[free & zero_div] = DENOMINATOR_ZERO
    reason[(reason == None) & ~np.isfinite(value)] = NOT_FINITE  # noqa: E711
    value[reason != None] = np.nan  # noqa: E711
    return value, reason


def _eval(node: ast.expr, columns: Mapping[str, np.ndarray], n: int, zero_div: np.ndarray) -> np.ndarray:
    if isinstance(node, ast.Constant):
        return np.full(n, float(node.value))
    if isinstance(node, ast.Name):
        column = columns.get(node.id)
        return np.full(n, np.nan) if column is None else column
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, columns, n, zero_div)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, columns, n, zero_div)
        right = _eval(node.right, columns, n, zero_div)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        zero_div |= right == 0
        return np.where(right == 0, np.nan, left / np.where(right == 0, 1.0, right))
    if isinstance(node, ast.Call):
        args = [_eval(a, columns, n, zero_div) for a in node.args]
        name = node.func.id  # type: ignore[attr-defined]  # checked at parse time
        if name == "abs":
            return np.abs(args[0])
        return np.minimum(*args) if name == "min" else np.maximum(*args)
    raise FormulaError("formula-forbidden", "formula was not parsed by parse_formula")  # pragma: no cover


def evaluate_one(formula: Formula, values: Mapping[str, float | None]) -> tuple[float | None, str | None]:
    """Evaluate for a single set of inputs; returns (value, reason) with value None when missing."""
    frame = pd.DataFrame({f: [np.nan if values.get(f) is None else values[f]] for f in formula.fields})
    result = evaluate(formula, frame)
    value = result.value.iloc[0]
    return (None if np.isnan(value) else float(value)), result.reason.iloc[0]


# ---------------------------------------------------------------------------------------------
# Rendering


def _render(node: ast.expr, labels: Mapping[str, str], parent: int) -> str:
    if isinstance(node, ast.Constant):
        value = node.value
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    if isinstance(node, ast.Name):
        return labels.get(node.id, node.id)
    if isinstance(node, ast.UnaryOp):
        sign = "−" if isinstance(node.op, ast.USub) else "+"
        return sign + _render(node.operand, labels, 3)
    if isinstance(node, ast.Call):
        args = ", ".join(_render(a, labels, 0) for a in node.args)
        return f"{node.func.id}({args})"  # type: ignore[attr-defined]
    if isinstance(node, ast.BinOp):
        op = _BINARY[type(node.op)]
        prec = _PRECEDENCE[op]
        # a - (b - c) keeps its parentheses (subtraction does not associate); the operands of a
        # division always keep theirs, so a ratio of rates reads as (a ÷ b) ÷ (c ÷ d).
        left_prec = 3 if op == "/" else prec
        right_prec = {"-": prec + 1, "/": 3}.get(op, prec)
        text = (
            f"{_render(node.left, labels, left_prec)} {_READABLE_OP[op]} "
            f"{_render(node.right, labels, right_prec)}"
        )
        return f"({text})" if prec < parent else text
    return "?"  # pragma: no cover
