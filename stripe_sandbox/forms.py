"""Stripe's form encoding (`metadata[k]=v`, `expand[0]=x`) decoded and read like Stripe reads it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import ApiError, invalid_request, missing_param

_KEY = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_PART = re.compile(r"\[([^\[\]]*)\]")
# Hashes whose keys are the caller's own strings: never turned into lists.
_FREE_FORM = frozenset({"metadata"})


def parse_form(raw: str) -> dict[str, Any]:
    """Decode a form body or query string into nested dicts and lists of strings."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY.fullmatch(key)
        if match is None:
            raise invalid_request(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for depth, part in enumerate(parts):
            if part == "":  # `expand[]=x`: the next index
                part = str(len(node))
            if depth == len(parts) - 1:
                if isinstance(node.get(part), dict):
                    raise invalid_request(f"Invalid value for {key}: expected a hash", param=key)
                node[part] = value
                break
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise invalid_request(f"Invalid hash: {parts[0]}", param=parts[0])
            node = child
    return {key: _listify(key, value) for key, value in root.items()}


def _listify(name: str, value: Any) -> Any:
    if not isinstance(value, dict) or name in _FREE_FORM:
        return value
    converted = {key: _listify(key, item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


class Params:
    """Typed reads of one request's parameters; unknown top-level names are refused."""

    def __init__(self, data: dict[str, Any], allowed: frozenset[str]) -> None:
        for name in data:
            if name not in allowed:
                raise invalid_request(
                    f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
                )
        self.data = data

    def has(self, name: str) -> bool:
        return name in self.data

    def _scalar(self, name: str, required: bool) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise missing_param(name)
            return None
        if not isinstance(value, str):
            raise invalid_request(f"Invalid string: {name}", param=name)
        if value == "" and required:
            raise invalid_request(
                f"You passed an empty string for '{name}'. We assume empty values are an attempt "
                f"to unset a parameter; however '{name}' cannot be unset. You should remove "
                f"'{name}' from your request or supply a non-empty value.",
                param=name,
                code="parameter_invalid_empty",
            )
        return value

    def string(
        self, name: str, *, required: bool = False, choices: tuple[str, ...] = ()
    ) -> str | None:
        value = self._scalar(name, required)
        if value == "":
            return None
        if value is not None and choices and value not in choices:
            listed = ", ".join(choices[:-1]) + f", or {choices[-1]}"
            raise invalid_request(f"Invalid {name}: must be one of {listed}", param=name)
        return value

    def required_string(self, name: str) -> str:
        value = self._scalar(name, True)
        return value or ""

    def required_integer(self, name: str) -> int:
        self._scalar(name, True)
        value = self.integer(name)
        return value if value is not None else 0

    def integer(self, name: str, *, required: bool = False, minimum: int = 0) -> int | None:
        value = self._scalar(name, required)
        if value is None or value == "":
            return None
        if not re.fullmatch(r"-?[0-9]{1,18}", value):
            raise invalid_request(
                f"Invalid integer: {value}", param=name, code="parameter_invalid_integer"
            )
        number = int(value)
        if number < minimum:
            raise invalid_request(
                f"This value must be greater than or equal to {minimum}.",
                param=name,
                code="parameter_invalid_integer",
            )
        return number

    def boolean(self, name: str) -> bool | None:
        value = self._scalar(name, False)
        if value is None or value == "":
            return None
        if value not in ("true", "false"):
            raise invalid_request(f"Invalid boolean: {value}", param=name)
        return value == "true"

    def hash(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise invalid_request(f"Invalid hash: {name}", param=name)
        return value

    def string_list(self, name: str) -> list[str] | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid_request(f"Invalid array: {name}", param=name)
        return list(value)

    def metadata(self) -> dict[str, str]:
        """Read `metadata`; an empty value unsets its key. Limits: 50 keys, 40/500 characters."""
        raw = self.hash("metadata") or {}
        result: dict[str, str] = {}
        for key, value in raw.items():
            param = f"metadata[{key}]"
            if not isinstance(value, str):
                raise invalid_request(f"Invalid string: {param}", param=param)
            if len(key) > 40:
                raise _metadata_error(f"Metadata keys can have up to 40 characters: {key}", param)
            if len(value) > 500:
                raise _metadata_error(
                    "Metadata values can have up to 500 characters, but you passed in a value "
                    f"that is {len(value)} characters.",
                    param,
                )
            result[key] = value
        if sum(1 for value in result.values() if value) > 50:
            raise _metadata_error("Metadata can have up to 50 keys.", "metadata")
        return result

    def expand(self, allowed: frozenset[str]) -> list[str]:
        fields = self.string_list("expand") or []
        for index, field in enumerate(fields):
            if field not in allowed:
                raise invalid_request(
                    f"This property cannot be expanded ({field}).", param=f"expand[{index}]"
                )
        return fields


def _metadata_error(message: str, param: str) -> ApiError:
    return invalid_request(message, param=param)
