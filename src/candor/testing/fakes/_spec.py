"""Checking requests against the services' published API descriptions, where there is one.

The descriptions are not shipped with candor: they are read at test time from
a folder holding ``mastodon/openapi.json``, ``discord/openapi.json`` and
``atproto/lexicons/`` (``$CANDOR_SPECS``, else ``../shared/specs`` beside the
project). When none is found, validation is skipped and the fake says why in
``fake.spec.reason``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

__all__ = ["LexiconSpec", "OpenAPISpec", "SpecStatus", "find_specs"]


@dataclass(frozen=True)
class SpecStatus:
    """Whether a fake validates requests against a published description, and why not."""

    enabled: bool
    reason: str
    source: Path | None = None


def find_specs(explicit: str | Path | Literal[False] | None = None) -> Path | None:
    """The folder of API descriptions: ``explicit``, ``$CANDOR_SPECS``, or ``../shared/specs``.

    ``../shared/specs`` is looked for beside the project that holds the current
    directory or candor itself (the nearest folder with a ``pyproject.toml``).
    """
    if explicit is False:
        return None
    if explicit is not None:
        return Path(explicit)
    if os.environ.get("CANDOR_SPECS"):
        return Path(os.environ["CANDOR_SPECS"])
    here = Path(__file__).resolve()
    for start in (Path.cwd().resolve(), here):
        for folder in (start, *start.parents):
            if (folder / "pyproject.toml").is_file():
                candidate = folder.parent / "shared" / "specs"
                if candidate.is_dir():
                    return candidate
                break
    return None


def locate(
    explicit: str | Path | Literal[False] | None, relative: str
) -> tuple[Path | None, SpecStatus]:
    """The file or folder ``relative`` inside the specs folder, and a status saying so."""
    if explicit is False:
        return None, SpecStatus(False, "validation turned off (specs=False)")
    root = find_specs(explicit)
    if root is None:
        return None, SpecStatus(
            False,
            "skipped: no API descriptions found (set CANDOR_SPECS or keep ../shared/specs "
            "beside the project)",
        )
    target = root / relative
    if not target.exists():
        return None, SpecStatus(False, f"skipped: {relative} is not in {root}")
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return None, SpecStatus(False, "skipped: jsonschema is not installed")
    return target, SpecStatus(True, f"validating against {relative}", target)


class OpenAPISpec:
    """Request bodies checked against an OpenAPI 3.1 description with jsonschema."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self._validators: dict[tuple[str, str, str], Any] = {}

    def validate(
        self, method: str, template: str, body: Any, media: str = "application/json"
    ) -> list[str]:
        """What is wrong with ``body`` for ``method template`` (empty when it conforms)."""
        key = (method.lower(), template, media)
        if key not in self._validators:
            self._validators[key] = self._validator(*key)
        validator = self._validators[key]
        if validator is None:
            return []
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<body>'}: {error.message}"
            for error in validator.iter_errors(body)
        ]

    def _validator(self, method: str, template: str, media: str) -> Any:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        operation = self.document["paths"].get(template, {}).get(method)
        if operation is None or media not in operation.get("requestBody", {}).get("content", {}):
            return None
        uri = "urn:candor:spec"
        registry: Registry[Any] = Registry().with_resource(
            uri, Resource.from_contents(self.document, default_specification=DRAFT202012)
        )
        pointer = "/".join(
            part.replace("~", "~0").replace("/", "~1")
            for part in ("paths", template, method, "requestBody", "content", media, "schema")
        )
        return jsonschema.Draft202012Validator({"$ref": f"{uri}#/{pointer}"}, registry=registry)


class LexiconSpec:
    """Values checked against AT Protocol lexicons (a small validator for the types posts use).

    Strings' ``maxLength`` counts UTF-8 bytes and ``maxGraphemes`` grapheme
    clusters, as the protocol defines them. A reference to a lexicon that is
    not in the folder is not checked.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lexicons: dict[str, dict[str, Any]] = {}
        for file in folder.rglob("*.json"):
            document = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(document, dict) and "id" in document:
                self.lexicons[document["id"]] = document

    def definition(self, ref: str, context: str = "") -> dict[str, Any] | None:
        nsid, _, name = ref.partition("#")
        nsid = nsid or context
        lexicon = self.lexicons.get(nsid)
        if lexicon is None:
            return None
        found = lexicon["defs"].get(name or "main")
        return dict(found, _nsid=nsid) if found is not None else None

    def validate_input(self, nsid: str, value: Any) -> list[str]:
        """What is wrong with ``value`` as the input of the procedure ``nsid``."""
        main = self.definition(nsid)
        if main is None or "input" not in main:
            return []
        return self._check(main["input"]["schema"], value, "input", nsid)

    def validate_record(self, nsid: str, value: Any) -> list[str]:
        """What is wrong with ``value`` as a record of the collection ``nsid``."""
        main = self.definition(nsid)
        if main is None or main.get("type") != "record":
            return []
        return self._check(main["record"], value, "record", nsid)

    def _check(self, schema: dict[str, Any], value: Any, where: str, nsid: str) -> list[str]:
        kind = schema.get("type")
        if kind == "ref":
            target = self.definition(schema["ref"], nsid)
            if target is None:
                return []
            return self._check(target, value, where, target["_nsid"])
        if kind in ("record",):
            return self._check(schema["record"], value, where, nsid)
        if kind == "object":
            return self._object(schema, value, where, nsid)
        if kind == "union":
            return self._union(schema, value, where, nsid)
        if kind == "string":
            return _string(schema, value, where)
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                return [f"{where}: must be an integer"]
            low, high = schema.get("minimum"), schema.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                return [f"{where}: {value} is out of range"]
            return []
        if kind == "boolean":
            return [] if isinstance(value, bool) else [f"{where}: must be a boolean"]
        if kind == "array":
            if not isinstance(value, list):
                return [f"{where}: must be an array"]
            errors = []
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                errors.append(f"{where}: more than {schema['maxLength']} items")
            if "minLength" in schema and len(value) < schema["minLength"]:
                errors.append(f"{where}: fewer than {schema['minLength']} items")
            for index, item in enumerate(value):
                errors += self._check(schema["items"], item, f"{where}/{index}", nsid)
            return errors
        if kind == "unknown":
            return [] if isinstance(value, dict) else [f"{where}: must be an object"]
        return []  # bytes, cid-link, blob, token: not used by candor's posts

    def _object(self, schema: dict[str, Any], value: Any, where: str, nsid: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{where}: must be an object"]
        errors = [
            f"{where}: {name} is required"
            for name in schema.get("required", [])
            if name not in value
        ]
        nullable = set(schema.get("nullable", []))
        for name, field in schema.get("properties", {}).items():
            if name in value and not (value[name] is None and name in nullable):
                errors += self._check(field, value[name], f"{where}/{name}", nsid)
        return errors

    def _union(self, schema: dict[str, Any], value: Any, where: str, nsid: str) -> list[str]:
        if not isinstance(value, dict) or not isinstance(value.get("$type"), str):
            return [f"{where}: a union member must be an object with $type"]
        refs = [ref if not ref.startswith("#") else f"{nsid}{ref}" for ref in schema["refs"]]
        chosen = value["$type"]
        normal = {ref.removesuffix("#main"): ref for ref in refs}
        if chosen.removesuffix("#main") not in normal:
            if schema.get("closed"):
                return [f"{where}: $type {chosen} is not one of {refs}"]
            return []
        return self._check(
            {"type": "ref", "ref": normal[chosen.removesuffix("#main")]}, value, where, nsid
        )


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _string(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    from candor.testing._length import graphemes

    if not isinstance(value, str):
        return [f"{where}: must be a string"]
    errors = []
    size = len(value.encode("utf-8"))
    if "maxLength" in schema and size > schema["maxLength"]:
        errors.append(f"{where}: must not be longer than {schema['maxLength']} bytes ({size})")
    if "minLength" in schema and size < schema["minLength"]:
        errors.append(f"{where}: must not be shorter than {schema['minLength']} bytes")
    if "maxGraphemes" in schema:
        count = graphemes(value)
        if count > schema["maxGraphemes"]:
            errors.append(
                f"{where}: must not be longer than {schema['maxGraphemes']} graphemes ({count})"
            )
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: must be one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: must be {schema['const']!r}")
    if schema.get("format") == "datetime":
        if not _DATETIME.match(value):
            errors.append(f"{where}: must be an RFC 3339 datetime with a time zone")
        else:
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                errors.append(f"{where}: is not a valid datetime")
    return errors


@cache
def load_openapi(path: Path) -> OpenAPISpec:
    """The description at ``path``, read once per process."""
    return OpenAPISpec(path)


@cache
def load_lexicons(folder: Path) -> LexiconSpec:
    """The lexicons in ``folder``, read once per process."""
    return LexiconSpec(folder)
