"""One cattrs converter for JSON-safe dictionaries, with a schema version.

``to_dict(obj)`` turns any domain object into plain JSON types (dates and times as ISO
8601 strings, decimals as strings, enums as their values) and adds ``schema_version``.
``from_dict(cls, data)`` is the door for untrusted input: it structures strictly (no
silent coercion of ``"12"`` into ``12``, no unknown keys) and reports *every* problem with
its path, e.g. ``objectives[2].success_criteria[0].target: expected a number, got 'lots'``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.v import format_exception as _cattrs_format_exception

from cpdcore.errors import Problem, ValidationError

__all__ = [
    "SCHEMA_VERSION",
    "converter",
    "dumps",
    "from_dict",
    "loads",
    "to_dict",
]

SCHEMA_VERSION = 1
"""Version of the dictionary layout written by :func:`to_dict`; bumped on breaking change."""

T = TypeVar("T")


class _BadValue(ValueError):
    """A value of the wrong shape; the message says what was expected and what came."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _structure_int(value: Any, _type: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadValue(f"expected a whole number, got {_describe(value)}")
    return value


def _structure_float(value: Any, _type: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadValue(f"expected a number, got {_describe(value)}")
    return float(value)


def _structure_decimal(value: Any, _type: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _BadValue(f"expected a decimal number, got {_describe(value)}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _BadValue(f"expected a decimal number, got {_describe(value)}") from None
    if not result.is_finite():
        raise _BadValue(f"expected a finite decimal number, got {_describe(value)}")
    return result


def _structure_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise _BadValue(f"expected text, got {_describe(value)}")
    return value


def _structure_bool(value: Any, _type: Any) -> bool:
    if not isinstance(value, bool):
        raise _BadValue(f"expected true or false, got {_describe(value)}")
    return value


def _structure_date(value: Any, _type: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _BadValue(f"expected a date as YYYY-MM-DD, got {_describe(value)}")


def _structure_datetime(value: Any, _type: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                raise _BadValue(
                    f"expected a date-time with a UTC offset (e.g. 2026-09-01T08:00:00+00:00), "
                    f"got {_describe(value)} without one"
                )
            return parsed
    raise _BadValue(f"expected an ISO 8601 date-time with offset, got {_describe(value)}")


def _structure_enum(value: Any, type_: type[enum.Enum]) -> enum.Enum:
    try:
        return type_(value)
    except ValueError:
        accepted = ", ".join(str(m.value) for m in type_)
        raise _BadValue(f"{_describe(value)} is not one of {accepted}") from None


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(date, _structure_date)
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
    )
    conv.register_unstructure_hook(datetime, lambda v: v.isoformat())
    conv.register_unstructure_hook(date, lambda v: v.isoformat())
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(frozenset, lambda v: sorted(conv.unstructure(x) for x in v))
    return conv


converter = _make_converter()
"""The converter every part of cpdcore (and adapters storing JSON) uses."""


def _format(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, _BadValue):
        return str(exc)
    if isinstance(exc, ValidationError):
        # Keep each problem's own field so problems_from can append it to the path.
        return _PROBLEM_SEP.join(f"{p.where}{_FIELD_SEP}{p.message}" for p in exc.problems)
    return _cattrs_format_exception(exc, type_)


_FIELD_SEP = "\x1f"
_PROBLEM_SEP = "\x1e"


def _join(path: str, field: str) -> str:
    if not field:
        return path
    return f"{path}.{field}" if path else field


def _tidy_path(path: str) -> str:
    path = path.removeprefix("$").removeprefix(".")
    return path


def problems_from(exc: BaseException) -> list[Problem]:
    """Turn a cattrs structuring failure into path-addressed problems."""
    if isinstance(exc, ValidationError) and not isinstance(
        exc, ClassValidationError | IterableValidationError
    ):
        return list(exc.problems)
    problems: list[Problem] = []
    for line in cattrs.transform_error(exc, "$", _format):
        message, _sep, path = line.rpartition(" @ ")
        path = _tidy_path(path)
        for part in (message or line).split(_PROBLEM_SEP):
            field, sep, text = part.partition(_FIELD_SEP)
            if sep:
                problems.append(Problem(_join(path, field), text))
            else:
                problems.append(Problem(path, part))
    return problems


def to_dict(obj: Any) -> dict[str, Any]:
    """A JSON-safe dictionary of ``obj`` with ``schema_version`` added."""
    data = converter.unstructure(obj)
    if not isinstance(data, dict):
        raise TypeError(f"to_dict expects an attrs instance, got {type(obj).__name__}")
    return {"schema_version": SCHEMA_VERSION, **data}


def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build a ``cls`` from untrusted ``data``; raise ``ValidationError`` listing every problem.

    ``schema_version`` may be absent (taken as current) but must not be newer than
    :data:`SCHEMA_VERSION`.
    """
    if not isinstance(data, Mapping):
        raise ValidationError.single("", f"expected an object (mapping), got {_describe(data)}")
    body = dict(data)
    version = body.pop("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ValidationError.single(
            "schema_version",
            f"version {version!r} is not supported; this cpdcore reads version {SCHEMA_VERSION}",
        )
    try:
        return converter.structure(body, cls)
    except (ClassValidationError, IterableValidationError, ValidationError) as exc:
        raise ValidationError(problems_from(exc)) from None
    except (ValueError, TypeError) as exc:
        raise ValidationError([Problem("", str(exc))]) from None


def dumps(obj: Any) -> str:
    """``to_dict`` as a JSON string (UTF-8 text, sorted keys)."""
    return json.dumps(to_dict(obj), sort_keys=True, ensure_ascii=False)


def loads(cls: type[T], text: str) -> T:
    """Parse JSON text and :func:`from_dict` it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError.single(
            f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}"
        ) from None
    return from_dict(cls, data)
