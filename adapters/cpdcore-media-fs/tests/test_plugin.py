"""The plugin: file:// URLs through Cpd.open, keys from providers or the environment, CLI."""

from __future__ import annotations

import base64
import io
import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from cpdcore_media_fs import EncryptedFileStore, plugin
from cpdcore_media_fs.keys import KEK_ENV, PREVIOUS_KEKS_ENV
from typer.testing import CliRunner

from cpdcore import Cpd
from cpdcore.cli import build_app
from cpdcore.domain.identifiers import TrustId
from cpdcore.domain.media import MediaKind
from cpdcore.errors import ConfigurationError
from cpdcore.hookspecs import hookimpl

T1 = TrustId("trust-north")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56


class Vault:
    """A host's key provider."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.asked: list[str] = []

    @hookimpl
    def cpdcore_key_provider(self, url: str) -> bytes | None:
        self.asked.append(url)
        return self.key if url.startswith("file:") else None


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture(autouse=True)
def no_keys_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEK_ENV, raising=False)
    monkeypatch.delenv(PREVIOUS_KEKS_ENV, raising=False)


def test_installed_under_the_cpdcore_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="cpdcore")}
    assert found["cpdcore_media_fs"] == "cpdcore_media_fs.plugin"
    assert plugin.cpdcore_schemes() == {"media": ["file"]}


def test_a_file_url_opens_an_encrypted_store_keyed_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEK_ENV, b64(os.urandom(32)))
    url = (tmp_path / "media").as_uri()
    cpd = Cpd.open("memory://", media=url)
    assert isinstance(cpd.media, EncryptedFileStore)
    assert cpd.media.url == url
    info = cpd.media.put(T1, io.BytesIO(PNG), kind=MediaKind.PHOTO)
    again = Cpd.open("memory://", media=url).media
    assert again is not None
    assert b"".join(again.open(T1, info.media_id)) == PNG


def test_a_key_provider_plugin_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEK_ENV, b64(os.urandom(32)))
    vault = Vault(os.urandom(32))
    url = (tmp_path / "media").as_uri()
    media = Cpd.open("memory://", media=url, plugins=[vault]).media
    assert media is not None
    info = media.put(T1, io.BytesIO(PNG), kind=MediaKind.PHOTO)
    assert vault.asked == [url]
    # only the vault's key opens it
    monkeypatch.delenv(KEK_ENV)
    with pytest.raises(ConfigurationError, match="previous_keks"):
        EncryptedFileStore(tmp_path / "media", os.urandom(32)).info(T1, info.media_id)
    assert EncryptedFileStore(tmp_path / "media", vault.key).info(T1, info.media_id) == info


def test_no_key_anywhere_names_both_ways_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Cpd.open("memory://", media=(tmp_path / "m").as_uri())
    assert "cpdcore_key_provider" in str(caught.value)
    assert KEK_ENV in str(caught.value)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("not base64!", "not valid base64"), (b64(os.urandom(16)), "this one is 16")],
)
def test_a_bad_environment_key_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv(KEK_ENV, value)
    with pytest.raises(ConfigurationError, match=message):
        Cpd.open("memory://", media=(tmp_path / "m").as_uri())


@pytest.mark.parametrize(
    "url", ["file://server/share/media", "file:///srv/media?mode=x", "file://"]
)
def test_unsupported_file_urls_are_explained(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEK_ENV, b64(os.urandom(32)))
    with pytest.raises(ConfigurationError, match=r"file:///absolute/path|no query"):
        Cpd.open("memory://", media=url)


def test_other_schemes_are_left_to_other_plugins() -> None:
    assert plugin.cpdcore_media_store(url="s3://bucket/media", keys=lambda url: None) is None


def test_cpd_media_rotate_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = os.urandom(32), os.urandom(32)
    store = EncryptedFileStore(tmp_path / "media", old)
    info = store.put(T1, io.BytesIO(PNG), kind=MediaKind.PHOTO)
    monkeypatch.setenv(KEK_ENV, b64(new))
    monkeypatch.setenv(PREVIOUS_KEKS_ENV, b64(old))
    monkeypatch.setenv("CPD_MEDIA", (tmp_path / "media").as_uri())
    runner = CliRunner()
    result = runner.invoke(build_app(), ["media", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "1 re-wrapped, 0 already under the current key, 0 failed" in result.output
    assert EncryptedFileStore(tmp_path / "media", new).info(T1, info.media_id) == info
    again = runner.invoke(build_app(), ["media", "rotate-keys"])
    assert "0 re-wrapped, 1 already under the current key" in again.output
    swept = runner.invoke(build_app(), ["media", "sweep"])
    assert "removed 0 leftover file(s)" in swept.output


def test_cpd_media_commands_need_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEK_ENV, b64(os.urandom(32)))
    runner = CliRunner()
    missing = tmp_path / "typo"
    for command in ("rotate-keys", "sweep"):
        result = runner.invoke(build_app(), ["media", command, "--media", missing.as_uri()])
        assert isinstance(result.exception, ConfigurationError)
        assert f"no media store at {missing.as_uri()}: {missing} does not exist" in str(
            result.exception
        )
    assert not missing.exists()
    page = tmp_path / "page.html"
    page.write_text("<html></html>\n", encoding="utf-8")
    result = runner.invoke(build_app(), ["media", "sweep", "--media", page.as_uri()])
    assert f"{page} is not a folder" in str(result.exception)
