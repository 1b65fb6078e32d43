"""Checks against the published Bot API facts: the spec's types and the server's error strings.

`SpecChecker` validates a JSON value as a spec type: every required field present, no field the
spec does not name, primitives of the right JSON type, nested objects and arrays recursively,
and union types (ChatMember, MessageOrigin, …) resolved by their `type`/`status` discriminator.

`aiogram_problems` validates a method's result as aiogram's return annotation for that method,
in pydantic's strict mode. aiogram models Unix times as `datetime`, which strict mode only takes
as `datetime` objects, so integer times (and only those) are converted before validating.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import aiogram.methods
import aiogram.types
from pydantic import TypeAdapter, ValidationError

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    421: "Misdirected Request",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
_DISCRIMINATOR = re.compile(r"(?:always|must be) [\"“]?([a-z_]+)[\"”]?")

# Fields newer than the 10.1 spec that Telegram sends and current clients require: Bot API 10.3
# made `can_send_welcome_messages` required, and aiogram 3.31 (10.3) rejects an administrator
# without it. Everything else the spec does not name is reported.
NEWER_FIELDS = {
    ("ChatMemberAdministrator", "can_send_welcome_messages"),
    ("ChatAdministratorRights", "can_send_welcome_messages"),
}


def lower_first(message: str) -> str:
    """The server's rendering rule: lower-case the first letter unless the 2nd is `_` or upper."""
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return message
    return message[:1].lower() + message[1:]


def server_error_strings(text: str) -> set[str]:
    """Every complete description the official server can send, from error-strings.txt.

    `Status::Error(400, "X")` becomes `Bad Request: x`; `fail_query(…, "Title: x")` is taken as
    it is; a bare `Slice("x")` is a reason that follows a title (`Forbidden: bot was blocked…`),
    so it is kept both alone and after each title. Literals cut at an escaped quote are skipped.
    """
    found: set[str] = set()
    pattern = re.compile(r'^[^:]+:\d+:(\w+(?:::\w+)?)\((?:(\d+), )?"(.*)$')
    for line in text.splitlines():
        match = pattern.match(line)
        if match is None or line.startswith("#"):
            continue
        kind, code, rest = match.groups()
        literal = _literal(rest)
        if literal is None:
            continue  # a literal continued by code (`"Field \"" << name …`)
        if kind == "Slice":
            found.add(literal)
            found.update(f"{title}: {literal}" for title in _TITLES.values())
        elif code is not None and not any(literal.startswith(t) for t in _TITLES.values()):
            found.add(f"{_TITLES[int(code)]}: {lower_first(literal)}")
        else:
            found.add(literal)
    return found


def server_raw_literals(text: str) -> set[str]:
    """The literals of error-strings.txt as written in the source (before any rendering)."""
    found: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r'^[^:]+:\d+:\w+(?:::\w+)?\((?:\d+, )?"(.*)$', line)
        literal = _literal(match.group(1)) if match is not None else None
        if literal is not None:
            found.add(literal)
    return found


def _literal(rest: str) -> str | None:
    """The literal from the text after its opening quote: `x"` or `x")`; None if it was cut at
    an escaped quote (`Field \\"` continued by code)."""
    body = rest.removesuffix(")").removesuffix('"')
    return None if body.endswith("\\") else body.replace('\\"', '"')


class SpecChecker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.types: dict[str, Any] = spec["types"]
        self.methods: dict[str, Any] = spec["methods"]

    def result_problems(self, method: str, value: Any) -> list[str]:
        """Problems of `value` as the result of `method`; [] if it is valid."""
        returns: list[str] = self.methods[method]["returns"]
        return self._any_of(returns, value, method)

    def problems(self, type_name: str, value: Any, path: str = "") -> list[str]:
        path = path or type_name
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected an array, got {type(value).__name__}"]
            inner = type_name.removeprefix("Array of ")
            return [
                p
                for i, item in enumerate(value)
                for p in self.problems(inner, item, f"{path}[{i}]")
            ]
        primitive = _primitive(type_name, value)
        if primitive is not None:
            return [] if primitive else [f"{path}: {value!r} is not a {type_name}"]
        spec_type = self.types.get(type_name)
        if spec_type is None:
            return [f"{path}: the spec has no type {type_name}"]
        if "subtypes" in spec_type:
            return self._subtype_problems(spec_type["subtypes"], value, path)
        if not isinstance(value, dict):
            return [f"{path}: expected a {type_name} object, got {type(value).__name__}"]
        fields = {field["name"]: field for field in spec_type.get("fields", [])}
        found: list[str] = []
        for name, field in fields.items():
            if field["required"] and name not in value:
                found.append(f"{path}: required field {name!r} of {type_name} is missing")
        for name, item in value.items():
            field = fields.get(name)
            if field is None and (type_name, name) in NEWER_FIELDS:
                continue
            if field is None:
                found.append(f"{path}: {type_name} has no field {name!r}")
                continue
            found.extend(self._any_of(field["types"], item, f"{path}.{name}"))
        return found

    def _any_of(self, type_names: list[str], value: Any, path: str) -> list[str]:
        attempts = [self.problems(name, value, path) for name in type_names]
        if any(not attempt for attempt in attempts):
            return []
        return min(attempts, key=len)

    def _subtype_problems(self, subtypes: list[str], value: Any, path: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        chosen = [name for name in subtypes if self._discriminated(name, value)]
        return self._any_of(chosen or subtypes, value, path)

    def _discriminated(self, type_name: str, value: dict[str, Any]) -> bool:
        for field in self.types[type_name].get("fields", []):
            match = _DISCRIMINATOR.search(field["description"])
            if field["name"] in {"type", "status", "source"} and match:
                return bool(value.get(field["name"]) == match.group(1))
        return False


def _primitive(type_name: str, value: Any) -> bool | None:
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "String":
        return isinstance(value, str)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name == "True":
        return value is True
    return None


def aiogram_method(name: str) -> type[aiogram.methods.TelegramMethod[Any]]:
    method: type[aiogram.methods.TelegramMethod[Any]] = getattr(
        aiogram.methods, name[0].upper() + name[1:]
    )
    return method


def aiogram_problems(method: str, result: Any, limit: int = 12) -> list[str]:
    """Strict-mode problems of `result` as aiogram's return type for `method` (the first few:
    a failed union lists every alternative's complaints)."""
    returning = aiogram_method(method).__returning__
    adapter: TypeAdapter[Any] = TypeAdapter(returning)
    try:
        adapter.validate_python(_times_as_datetimes(result), strict=True)
    except ValidationError as error:
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()][:limit]
    return []


def _aiogram_time_fields() -> frozenset[str]:
    """Field names aiogram types as `datetime` (`InaccessibleMessage.date` is the literal 0)."""
    as_time: set[str] = set()
    for name in dir(aiogram.types):
        model = getattr(aiogram.types, name)
        for field, info in getattr(model, "model_fields", {}).items():
            if "datetime" in str(info.annotation):
                as_time.add(field)
    return frozenset(as_time)


_TIME_FIELDS = _aiogram_time_fields()


def _times_as_datetimes(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _times_as_datetimes(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_times_as_datetimes(item, key) for item in value]
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if key in _TIME_FIELDS and is_int and not (key == "date" and value == 0):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return value
