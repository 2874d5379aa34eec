"""Replay of identity-provider transcripts: JSON files of requests and expected answers.

A transcript is ``{"description", "source", "requires", "steps": [...]}``; each step has
``request`` (method, path under the SCIM base, optional body and headers), ``status`` (an int,
or a list when the provider accepts several), and optional expectations on the JSON answer:
``body`` (a fragment: objects match key by key, each listed element must match some element),
``present`` / ``absent`` (dotted paths; absent also means null or empty), ``length``
(dotted path -> number of elements). ``save`` names values of the answer (dotted paths) that
later steps use as ``${name}`` anywhere in their strings.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
MISSING = object()


def substitute(value: Any, saved: dict[str, str]) -> Any:
    """Replace every ``${name}`` in the strings of ``value`` by what an earlier step saved."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: saved[m.group(1)], value)
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {substitute(k, saved): substitute(v, saved) for k, v in value.items()}
    return value


def lookup(document: Any, dotted: str) -> Any:
    """``a.0.b`` in a JSON document; keys compare case-insensitively (RFC 7643 §2.1), and a
    key may itself hold dots (``urn:...:enterprise:2.0:User.manager``)."""
    current, rest = document, dotted
    while rest:
        if isinstance(current, list):
            part, _, rest = rest.partition(".")
            if not (part.isdigit() and int(part) < len(current)):
                return MISSING
            current = current[int(part)]
        elif isinstance(current, dict):
            lowered = rest.lower()
            keys = [
                k for k in current if lowered == k.lower() or lowered.startswith(k.lower() + ".")
            ]
            if not keys:
                return MISSING
            key = max(keys, key=len)
            current, rest = current[key], rest[len(key) + 1 :]
        else:
            return MISSING
    return current


def mismatch(expected: Any, actual: Any, where: str = "$") -> str | None:
    """The first place where ``actual`` does not contain the ``expected`` fragment, or None."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            found = lookup(actual, key) if "." not in key else actual.get(key, MISSING)
            if found is MISSING:
                return f"{where}.{key}: missing"
            problem = mismatch(value, found, f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{where}: expected a list, got {actual!r}"
        for item in expected:
            if all(mismatch(item, candidate) for candidate in actual):
                return f"{where}: no element matches {item!r} in {actual!r}"
        return None
    return None if expected == actual else f"{where}: expected {expected!r}, got {actual!r}"


def _problems(step: dict[str, Any], response: httpx.Response, saved: dict[str, str]) -> list[str]:
    statuses = step["status"] if isinstance(step["status"], list) else [step["status"]]
    if response.status_code not in statuses:
        return [f"status {response.status_code}, expected {statuses}: {response.text[:500]}"]
    if response.status_code == 204 or not response.content:
        return []
    body = response.json()
    problems = []
    if "body" in step and (problem := mismatch(substitute(step["body"], saved), body)):
        problems.append(problem)
    problems += [f"{p}: missing" for p in step.get("present", []) if lookup(body, p) is MISSING]
    problems += [
        f"{p}: expected absent, got {lookup(body, p)!r}"
        for p in step.get("absent", [])
        if lookup(body, p) not in (MISSING, None, [], {})
    ]
    for path, size in step.get("length", {}).items():
        found = lookup(body, path)
        if not isinstance(found, list) or len(found) != size:
            problems.append(f"{path}: expected {size} elements, got {found!r}")
    return problems


async def replay(client: httpx.AsyncClient, base_path: str, transcript: dict[str, Any]) -> None:
    """Run every step in order; fail on the first step whose answer does not match."""
    saved: dict[str, str] = {}
    for number, step in enumerate(transcript["steps"], 1):
        request = substitute(step["request"], saved)
        headers = {"Content-Type": "application/scim+json", **request.get("headers", {})}
        body = request.get("body")
        response = await client.request(
            request["method"],
            base_path + request["path"],
            content=None if body is None else json.dumps(body),
            headers=headers,
        )
        problems = _problems(step, response, saved)
        assert not problems, (
            f"step {number} ({step['name']}): {request['method']} {request['path']}\n  "
            + "\n  ".join(problems)
            + f"\n  transcript requires: {', '.join(transcript.get('requires', []))}"
        )
        for name, path in step.get("save", {}).items():
            value = lookup(response.json(), path)
            assert value is not MISSING, f"step {number}: nothing at {path} to save as {name}"
            saved[name] = str(value)
