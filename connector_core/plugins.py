"""Loading plugins: built-in ones load through the same entry points as a vendor's.

A plugin that fails to import, targets another contract version or registers a broken source is
set aside with the reason; it never takes the others down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

import pluggy

from connector_core import hookspecs
from connector_core.command_index import installed_entry_points
from connector_core.source import CONTRACT_VERSION, Source

log = logging.getLogger("lerconnect.plugins")


class UnknownPlugin(LookupError):
    """The config names a plugin that is not installed (or was set aside)."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetAside:
    """A plugin or source that could not be loaded, and why."""

    name: str
    reason: str


@dataclass
class Registry:
    """The loaded plugin manager and what it registered."""

    manager: pluggy.PluginManager
    plugins: list[PluginInfo] = field(default_factory=list)
    sources: dict[str, type[Source]] = field(default_factory=dict)
    source_plugin: dict[str, PluginInfo] = field(default_factory=dict)
    set_aside: list[SetAside] = field(default_factory=list)

    @property
    def hook(self) -> pluggy.HookRelay:
        return self.manager.hook

    def source_class(self, plugin: str) -> type[Source]:
        try:
            return self.sources[plugin]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise UnknownPlugin(
                f"no installed plugin provides source {plugin!r} (installed: {known}); "
                f"install its package, e.g. `pip install lerconnect-{plugin}`, and check `lerconnect plugins`"
            ) from None

    def add_plugin(self, module: object, *, name: str, version: str) -> None:
        """Register a plugin module (or object with hook functions) and the sources it registers.

        A source that is not usable, or whose name is taken, is set aside with the reason.
        """
        found: list[type[Source]] = []
        self.manager.register(module, name=name)
        hook = self.manager.subset_hook_caller(
            "lerconnect_register_sources", remove_plugins=[p for p in self.manager.get_plugins() if p is not module]
        )
        hook(register=found.append)
        names: list[str] = []
        for cls in found:
            problem = source_problem(cls)
            if problem is None and cls.name in self.sources:
                problem = f"source name {cls.name!r} is already registered by {self.source_plugin[cls.name].name}"
            if problem:
                self.set_aside.append(SetAside(f"{name}:{getattr(cls, '__qualname__', cls)}", problem))
                log.warning("plugin %s: source set aside: %s", name, problem)
                continue
            self.sources[cls.name] = cls
            names.append(cls.name)
        info = PluginInfo(name, version, tuple(names))
        self.plugins.append(info)
        for source_name in names:
            self.source_plugin[source_name] = info


def source_problem(cls: object) -> str | None:
    """Why `cls` is not a usable Source, or None when it is."""
    if not isinstance(cls, type) or not issubclass(cls, Source):
        return f"{cls!r} is not a subclass of connector_core.Source"
    if not getattr(cls, "name", None):
        return f"{cls.__qualname__} has no `name`"
    if not cls.streams:
        return f"{cls.__qualname__} declares no `streams`"
    if cls.contract != CONTRACT_VERSION:
        return (
            f"{cls.__qualname__} targets plugin contract {cls.contract}, this lerconnect speaks "
            f"{CONTRACT_VERSION}: upgrade the plugin or lerconnect"
        )
    for method in ("check", "pull", "normalize"):
        if getattr(cls, method) is getattr(Source, method):
            return f"{cls.__qualname__} does not implement `{method}()`"
    return None


def empty_registry() -> Registry:
    """A registry that knows the hooks and has no plugins yet (tests, the test kit)."""
    manager = pluggy.PluginManager("lerconnect")
    manager.add_hookspecs(hookspecs)
    return Registry(manager)


def load_registry(extra_modules: tuple[object, ...] = ()) -> Registry:
    """Load every plugin from the entry-point group, plus `extra_modules` (tests, scripts)."""
    registry = empty_registry()
    manager = registry.manager
    for ep in installed_entry_points():
        version = ep.dist.version if ep.dist else "unknown"
        module = None
        try:
            module = ep.load()
            registry.add_plugin(module, name=ep.name, version=version)
        except Exception as exc:  # a broken plugin must not take the others down
            if module is not None and manager.is_registered(module):
                manager.unregister(module)
            registry.set_aside.append(SetAside(ep.name, f"{type(exc).__name__}: {exc}"))
            log.warning("plugin %s set aside: %s: %s", ep.name, type(exc).__name__, exc)
    for module in extra_modules:
        name = getattr(module, "__name__", repr(module))
        registry.add_plugin(module, name=name, version=getattr(module, "__version__", "0"))
    return registry


@cache
def default_registry() -> Registry:
    """The process-wide registry of installed plugins."""
    return load_registry()
