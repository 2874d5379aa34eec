"""Imports point one way: http -> scim -> (store protocol) <- storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

FORBIDDEN = {
    "scim": ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "app.http", "app.storage"),
    "storage": ("fastapi", "starlette", "app.http"),
    "http": ("sqlalchemy", "sqlmodel", "app.storage"),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((APP / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_does_not_import_past_its_neighbour(layer: str) -> None:
    offences = [
        f"{path.relative_to(APP)} imports {name}"
        for path in _modules(layer)
        for name in _imports(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])
    ]
    assert offences == []


def test_every_layer_has_modules() -> None:
    assert all(_modules(layer) for layer in FORBIDDEN)


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from sqlalchemy import select\nimport fastapi.routing\n")
    assert {"sqlalchemy", "fastapi.routing"} <= _imports(module)


TYPE_NAMES = frozenset({"User", "Group", "Users", "Groups", "/Users", "/Groups"})
DECLARATION = APP / "scim" / "resources.py"


def test_only_the_declaration_names_a_resource_type() -> None:
    """A resource type is declared once (``app.scim.resources``); no other module of the app
    spells "User" or "Group", so adding a type or an extension changes no code elsewhere."""
    offences = [
        f"{path.relative_to(APP)}:{node.lineno} {node.value!r}"
        for path in sorted(APP.rglob("*.py"))
        if path != DECLARATION
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in TYPE_NAMES
    ]
    assert not offences, offences
