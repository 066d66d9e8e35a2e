"""The error hierarchy: one root, messages that say what, where and what is accepted."""

from __future__ import annotations

import pytest

from cpdcore import errors
from cpdcore.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    ConsentRequired,
    CpdError,
    NotFound,
    PermissionDenied,
    PluginNotFound,
    Problem,
    ValidationError,
)
from cpdcore.extras import require


@pytest.mark.parametrize(
    "cls",
    [
        ValidationError,
        NotFound,
        PermissionDenied,
        ConsentRequired,
        ConcurrencyConflict,
        ConfigurationError,
        PluginNotFound,
    ],
)
def test_every_error_derives_from_cpd_error(cls: type[Exception]) -> None:
    assert issubclass(cls, CpdError)


def test_every_public_error_is_listed() -> None:
    public = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, CpdError)
    }
    assert public <= set(errors.__all__)


def test_validation_error_lists_every_problem_with_its_place() -> None:
    exc = ValidationError(
        [
            Problem("users.csv:17", "field 'roleType': 'teecher' is not one of primary, secondary"),
            Problem("weights", "must sum to 100, got 90"),
        ]
    )
    assert exc.where == "users.csv:17"
    assert str(exc).splitlines() == [
        "users.csv:17: field 'roleType': 'teecher' is not one of primary, secondary",
        "weights: must sum to 100, got 90",
    ]


def test_validation_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ValidationError([])


def test_concurrency_conflict_names_record_and_versions() -> None:
    exc = ConcurrencyConflict("Objective", "obj-7", expected=3, actual=4)
    assert "Objective 'obj-7'" in str(exc)
    assert "version 3" in str(exc)
    assert "version 4" in str(exc)
    deleted = ConcurrencyConflict("Objective", "obj-7", expected=3, actual=None)
    assert "deleted" in str(deleted)


def test_plugin_not_found_names_installed_schemes_and_usual_providers() -> None:
    exc = PluginNotFound("storage", "nosuch://x", ["memory"], {"sqlite": "cpdcore-sqlalchemy"})
    text = str(exc)
    assert "'nosuch'" in text
    assert "installed schemes: memory" in text
    assert "sqlite:// is provided by cpdcore-sqlalchemy" in text


def test_missing_extra_names_the_extra_to_install() -> None:
    with pytest.raises(ConfigurationError, match=r"pip install 'cpdcore\[stats\]'"):
        require("scipy.no_such_module_anywhere", "the LP audit")


def test_require_returns_the_module_when_present() -> None:
    assert require("json", "tests").dumps([]) == "[]"
