"""Building the plugin manager and resolving adapters by URL."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from typing import Any

import attrs
import pluggy

from cpdcore import hookspecs
from cpdcore.errors import PluginNotFound
from cpdcore.memory import MemoryPlugin

__all__ = [
    "ENTRY_POINT_GROUP",
    "USUAL_PROVIDERS",
    "PluginInfo",
    "describe_plugins",
    "installed_schemes",
    "make_plugin_manager",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cpdcore"

USUAL_PROVIDERS: dict[str, dict[str, str]] = {
    "storage": {
        "sqlite": "cpdcore-sqlalchemy",
        "postgresql": "cpdcore-sqlalchemy",
        "mysql": "cpdcore-sqlalchemy",
        "mariadb": "cpdcore-sqlalchemy",
    },
    "media": {"file": "cpdcore-media-fs"},
    "mis": {"oneroster+file": "cpdcore-oneroster"},
}
"""Which distribution serves the common schemes, quoted when a scheme is not installed."""


def make_plugin_manager(plugins: Iterable[object] = (), *, entry_points: bool = True) -> Any:
    """A plugin manager with cpdcore's hookspecs, the built-in memory plugin, installed
    plugins (entry-point group ``cpdcore``) and then ``plugins`` passed by the host.

    Host plugins are registered last so that pluggy calls them first.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(MemoryPlugin(), name="cpdcore.memory")
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for index, plugin in enumerate(plugins):
        pm.register(plugin, name=f"host-plugin-{index}-{type(plugin).__name__}")
    return pm


def installed_schemes(pm: Any) -> dict[str, list[str]]:
    """Every scheme each port can serve, from all plugins' ``cpdcore_schemes``."""
    merged: dict[str, list[str]] = {}
    result: list[Mapping[str, Sequence[str]]] = pm.hook.cpdcore_schemes()
    for declared in result:
        for port, schemes in declared.items():
            bucket = merged.setdefault(port, [])
            bucket.extend(s for s in schemes if s not in bucket)
    return merged


def resolve(pm: Any, port: str, url: str) -> Any:
    """Ask the factory hook of ``port`` for an object serving ``url``.

    Raises :class:`PluginNotFound` naming the installed schemes and the usual providers.
    """
    if port == "media":

        def keys(key_url: str) -> bytes | None:
            key: bytes | None = pm.hook.cpdcore_key_provider(url=key_url)
            return key

        found = pm.hook.cpdcore_media_store(url=url, keys=keys)
    else:
        hook = {"storage": pm.hook.cpdcore_storage, "mis": pm.hook.cpdcore_mis_source}[port]
        found = hook(url=url)
    if found is None:
        raise PluginNotFound(
            port, url, installed_schemes(pm).get(port, []), USUAL_PROVIDERS.get(port)
        )
    return found


@attrs.frozen
class PluginInfo:
    """One registered plugin: name, distribution and version, and the schemes it serves."""

    name: str
    distribution: str
    version: str
    schemes: Mapping[str, Sequence[str]]


def describe_plugins(pm: Any) -> list[PluginInfo]:
    """What ``cpd doctor`` prints: every registered plugin and what it serves."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    infos: list[PluginInfo] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        schemes_impl = getattr(plugin, "cpdcore_schemes", None)
        schemes: Mapping[str, Sequence[str]] = schemes_impl() if callable(schemes_impl) else {}
        if dist is not None:
            dist_name, version = dist.project_name, dist.version
        elif name == "cpdcore.memory":
            dist_name, version = "cpdcore", metadata.version("cpdcore")
        else:
            dist_name, version = "(registered by host)", ""
        infos.append(PluginInfo(name, dist_name, version, schemes))
    return sorted(infos, key=lambda i: i.name)


def call_safely(hook: Any, **kwargs: Any) -> None:
    """Call an after-commit hook; a failing listener is logged, never undoes the commit."""
    for impl in reversed(hook.get_hookimpls()):
        try:
            impl.function(**{name: kwargs[name] for name in impl.argnames})
        except Exception:
            log.exception(
                "cpdcore plugin %s failed in %s after commit", impl.plugin_name, hook.name
            )
