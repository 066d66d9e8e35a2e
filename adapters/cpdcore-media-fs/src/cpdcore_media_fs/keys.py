"""Where the key-encryption key comes from: a key-provider plugin or the environment."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping, Sequence

from cpdcore.errors import ConfigurationError
from cpdcore_media_fs.envelope import KEY_SIZE

__all__ = ["KEK_ENV", "PREVIOUS_KEKS_ENV", "decode_kek", "resolve_keks"]

KEK_ENV = "CPD_MEDIA_KEK"
"""Environment variable holding the current key-encryption key (base64 of 32 bytes)."""

PREVIOUS_KEKS_ENV = "CPD_MEDIA_PREVIOUS_KEKS"
"""Comma-separated base64 keys still accepted for reading while a rotation runs."""

_HOW_TO_MAKE = (
    'make one with: python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'
)


def decode_kek(text: str, where: str) -> bytes:
    """Decode a base64 key-encryption key; ``where`` names its source in errors."""
    try:
        # accept the URL-safe alphabet too; validate so stray characters are not ignored
        normalised = text.strip().replace("-", "+").replace("_", "/")
        key = base64.b64decode(normalised, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            f"{where}: not valid base64; expected the base64 of {KEY_SIZE} random bytes; "
            + _HOW_TO_MAKE
        ) from None
    return check_kek(key, where)


def check_kek(key: bytes, where: str) -> bytes:
    """Return ``key`` if it is a 32-byte key, else raise :class:`ConfigurationError`."""
    if len(key) != KEY_SIZE:
        raise ConfigurationError(
            f"{where}: a key-encryption key is {KEY_SIZE} bytes, this one is {len(key)}; "
            + _HOW_TO_MAKE
        )
    return key


def resolve_keks(
    url: str,
    keys: Callable[[str], bytes | None],
    environ: Mapping[str, str] | None = None,
) -> tuple[bytes, Sequence[bytes]]:
    """The current key-encryption key for ``url`` and the previous ones still accepted.

    The current key comes from the ``cpdcore_key_provider`` plugins (``keys(url)``), else
    from :data:`KEK_ENV`; previous keys from :data:`PREVIOUS_KEKS_ENV`. Raises
    :class:`ConfigurationError` naming both options when neither gives a key.
    """
    env = os.environ if environ is None else environ
    provided = keys(url)
    if provided is not None:
        current = check_kek(provided, f"the cpdcore_key_provider key for {url}")
    elif env.get(KEK_ENV, "").strip():
        current = decode_kek(env[KEK_ENV], KEK_ENV)
    else:
        raise ConfigurationError(
            f"no key-encryption key for the media store {url!r}: install a plugin "
            f"implementing cpdcore_key_provider that returns {KEY_SIZE} bytes for this URL, "
            f"or set the environment variable {KEK_ENV} to the base64 of {KEY_SIZE} random "
            f"bytes (keep it out of the media directory); " + _HOW_TO_MAKE
        )
    previous = [
        decode_kek(part, f"{PREVIOUS_KEKS_ENV}[{i}]")
        for i, part in enumerate(env.get(PREVIOUS_KEKS_ENV, "").split(","))
        if part.strip()
    ]
    return current, previous
