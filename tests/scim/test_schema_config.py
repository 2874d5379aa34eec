"""SCIM_SCHEMAS: what a definition may say, and the one line a bad one is refused with."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.scim.resources import BUILTIN
from app.scim.schema_config import SchemaConfigError, load

SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
URN = "urn:example:2.0:User"


def _schema(*attributes: dict[str, Any], urn: str = URN) -> dict[str, Any]:
    return {"schemas": [SCHEMA], "id": urn, "name": "Example", "attributes": list(attributes)}


def _user_type(*urns: str, required: bool = False) -> dict[str, Any]:
    extensions = [{"schema": urn, "required": required} for urn in urns]
    return {"schemas": [RESOURCE_TYPE], "id": "User", "schemaExtensions": extensions}


def _write(tmp_path: Path, documents: list[Any], name: str = "schemas.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(documents))
    return path


def _error(tmp_path: Path, documents: list[Any]) -> str:
    path = _write(tmp_path, documents)
    with pytest.raises(SchemaConfigError) as caught:
        load(str(path), BUILTIN)
    return str(caught.value)


def test_builtin_id_adds_the_extension_to_that_type(tmp_path: Path) -> None:
    path = _write(tmp_path, [_schema({"name": "tag", "type": "string"}), _user_type(URN)])
    user = load(str(path), BUILTIN).kinds["User"]
    assert user.extension(URN) is not None and "tag" in user.extension(URN).attributes


def test_required_flag_makes_the_extension_required(tmp_path: Path) -> None:
    docs = [_schema({"name": "tag", "type": "string"}), _user_type(URN, required=True)]
    user = load(str(_write(tmp_path, docs)), BUILTIN).kinds["User"]
    assert URN in user.required_extensions


def test_a_directory_of_files_is_read_in_name_order(tmp_path: Path) -> None:
    _write(tmp_path, [_schema({"name": "tag", "type": "string"})], "1-schema.json")
    _write(tmp_path, [_user_type(URN)], "2-type.json")
    assert load(str(tmp_path), BUILTIN).kinds["User"].extension(URN) is not None


def test_unknown_type_names_file_and_attribute(tmp_path: Path) -> None:
    message = _error(tmp_path, [_schema({"name": "tag", "type": "text"})])
    assert "schemas.json" in message and "attribute tag" in message and "'text'" in message
    assert "\n" not in message


def test_complex_without_sub_attributes_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, [_schema({"name": "desk", "type": "complex"})])
    assert "attribute desk" in message and "subAttributes" in message


def test_bad_characteristic_names_the_attribute(tmp_path: Path) -> None:
    bad = {"name": "tag", "type": "string", "mutability": "sometimes"}
    message = _error(tmp_path, [_schema(bad)])
    assert "attribute tag" in message and "mutability" in message.lower()


def test_extension_without_a_schema_document_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, [_user_type("urn:missing:User")])
    assert "urn:missing:User" in message and "User" in message


def test_document_that_is_neither_schema_nor_resource_type_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, [{"schemas": ["urn:x"], "id": "x"}])
    assert "schemas must hold" in message


def test_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("[{")
    with pytest.raises(SchemaConfigError, match=r"broken\.json: not JSON"):
        load(str(path), BUILTIN)


def test_serve_with_a_bad_definition_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    path = _write(tmp_path, [_schema({"name": "tag", "type": "text"})])
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--port", "1"],
        env={"SCIM_SCHEMAS": str(path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "attribute tag" in lines[0] and "Traceback" not in result.stderr


def test_schema_without_a_name_is_named_after_its_urn(tmp_path: Path) -> None:
    document = _schema({"name": "tag", "type": "string"})
    del document["name"]
    path = _write(tmp_path, [document, _user_type(URN)])
    assert load(str(path), BUILTIN).kinds["User"].extension(URN) is not None
