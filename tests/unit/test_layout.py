"""digits/ is grouped by concern and its imports go only downward: each subpackage imports only the
ones below it (README's Layout), so `ls digits` reads like the pipeline and no concern reaches up."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "digits"
BELOW = {  # the subpackages each one may import, besides itself
    "core": set(),
    "data": {"core"},
    "model": {"core", "data"},
    "evaluation": {"core", "data", "model"},  # evaluation/ood too
    "distributed": {"core"},
    "training": {"core", "data", "model", "evaluation", "distributed"},  # fit() validates with evaluation.metrics
    "prediction": {"core", "data", "model"},
    "serve": {"core", "data", "model", "prediction"},
}
TOP_MODULES = {"__init__.py", "cli.py"}  # cli.py, the `digits` command, sits on top and may import any of them


def imported_subpackages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "digits":
            found.add(node.module.split(".")[1] if "." in node.module else node.names[0].name)
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("digits.")}
    return found


def test_top_level_is_cli_and_the_concerns() -> None:
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    assert entries == TOP_MODULES | set(BELOW)


@pytest.mark.parametrize("package", sorted(BELOW))
def test_imports_go_only_downward(package: str) -> None:
    upward = {
        str(path.relative_to(PACKAGE.parent)): sorted(imported_subpackages(path) - BELOW[package] - {package})
        for path in sorted((PACKAGE / package).rglob("*.py"))
    }
    assert {path: names for path, names in upward.items() if names} == {}
