"""Modules stay under 450 lines and hand-written functions under 80 lines (CONTRIBUTING, "Style"),
outside the demo generator and the benchmarks. Checked on the source tree with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("connectors", "expectations", "pipeline", "warehouse", "reports", "flows")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
EXCLUDED: set[str] = set()  # modules exempt from the limits: none


def python_modules() -> list[Path]:
    modules = [path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]
    return [path for path in modules if path.relative_to(REPO).as_posix() not in EXCLUDED]


def long_functions(path: Path) -> list[str]:
    """`file:line name (n lines)` for every function or method longer than the limit."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_the_checked_tree_is_the_repository():
    assert len(python_modules()) > 40


def test_no_module_exceeds_the_line_limit():
    too_long = [
        f"{path.relative_to(REPO)} ({lines} lines)"
        for path in python_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_no_function_exceeds_the_line_limit():
    too_long = [entry for path in python_modules() for entry in long_functions(path)]
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"
