"""The one exception hierarchy of cpdcore.

Every error cpdcore raises on purpose derives from :class:`CpdError`, so a host can
catch everything with one ``except``. Each message says three things: what was wrong,
where (a field path such as ``objectives[2].success_criteria[0].target`` or a file
position such as ``users.csv:17``) and what would have been accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "ConcurrencyConflict",
    "ConfigurationError",
    "ConsentRequired",
    "CpdError",
    "NotFound",
    "PermissionDenied",
    "PluginNotFound",
    "Problem",
    "ValidationError",
]


class CpdError(Exception):
    """Root of every error cpdcore raises on purpose."""


@attrs.frozen
class Problem:
    """One thing wrong with some input.

    ``where`` is a field path (``success_criteria[0].target``) or a file position
    (``users.csv:17``); ``message`` says what was wrong and what is accepted.
    """

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ValidationError(CpdError, ValueError):
    """Input was rejected; ``problems`` lists every failure, each with its location."""

    def __init__(self, problems: Iterable[Problem] | str, where: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(where, problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("ValidationError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def where(self) -> str:
        """Location of the first problem (field path or ``file:line``)."""
        return self.problems[0].where

    @classmethod
    def single(cls, where: str, message: str) -> ValidationError:
        """Build an error with one problem."""
        return cls([Problem(where, message)])


class NotFound(CpdError, LookupError):
    """A record that was asked for does not exist in the caller's tenant."""

    def __init__(self, kind: str, record_id: str, scope: str = "") -> None:
        self.kind = kind
        self.record_id = record_id
        where = f" in {scope}" if scope else ""
        super().__init__(f"{kind} {record_id!r} not found{where}")


class PermissionDenied(CpdError):
    """The acting person's roles do not allow the action.

    The message names the missing role or relationship, never the protected content.
    """


class ConsentRequired(PermissionDenied):
    """The action needs a consent the subject has not given (or has withdrawn).

    ``purpose`` and ``audience`` name the consent that is missing.
    """

    def __init__(self, message: str, *, purpose: str = "", audience: str = "") -> None:
        self.purpose = purpose
        self.audience = audience
        super().__init__(message)


class ConcurrencyConflict(CpdError):
    """A write was based on a stale version of a record; nothing was overwritten."""

    def __init__(self, kind: str, record_id: str, expected: int, actual: int | None) -> None:
        self.kind = kind
        self.record_id = record_id
        self.expected = expected
        self.actual = actual
        now = "it was deleted" if actual is None else f"it is now at version {actual}"
        super().__init__(
            f"{kind} {record_id!r} was changed by someone else: this write expected "
            f"version {expected} but {now}; reload the record and apply the change again"
        )


class ConfigurationError(CpdError):
    """cpdcore is installed or configured in a way that cannot work (e.g. a missing extra)."""


class PluginNotFound(ConfigurationError):
    """No installed plugin serves the URL or name that was asked for."""

    def __init__(
        self,
        port: str,
        url: str,
        installed: Sequence[str],
        usual: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self.url = url
        self.installed = tuple(installed)
        scheme = url.split(":", 1)[0] if ":" in url else url
        parts = [
            f"no {port} plugin serves {url!r} (scheme {scheme!r});",
            "installed schemes: " + (", ".join(sorted(self.installed)) or "none") + ".",
        ]
        if usual:
            hints = "; ".join(f"{s}:// is provided by {dist}" for s, dist in sorted(usual.items()))
            parts.append(f"Usual providers: {hints}.")
        super().__init__(" ".join(parts))
