"""Optional extras: import a module that an extra provides, or say which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from cpdcore.errors import ConfigurationError

__all__ = ["EXTRAS", "require"]

EXTRAS: dict[str, str] = {
    "typer": "cli",
    "rich": "cli",
    "numpy": "stats",
    "scipy": "stats",
    "pandas": "stats",
    "pyarrow": "stats",
    "pycanon": "stats",
    "opendp": "dp",
}
"""Which ``cpdcore[...]`` extra provides each optional top-level module."""


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` or raise ``ConfigurationError`` naming the extra that provides it."""
    top = module.split(".", 1)[0]
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(top)
        install = f"pip install 'cpdcore[{extra}]'" if extra else f"pip install {top}"
        raise ConfigurationError(
            f"{feature} needs the optional package {top!r}, which is not installed; "
            f"install it with: {install}"
        ) from None
