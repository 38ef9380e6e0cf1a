"""Modules websockets imports at start and an idle agent never uses, loaded on first use.

websockets imports ``importlib.metadata`` at start-up (its ``version`` module, to describe a
development checkout) and, in a release, never uses it; loading it brings zipfile, csv, the
email package's parser and more: 0.8 MB on every idle agent (bench/agent_rss.py). Its
``proxy`` module imports ``urllib.request`` to look up the proxy of each connection, which
brings ``http.client`` and the email package: 1.5 MB more, for a lookup the agent's channel
makes without it when no ``*_proxy`` variable is set (``channel.proxy_setting``). ``shutil``
imports ``bz2`` and ``lzma`` only to learn whether it could make such archives, which maps two
compression libraries (0.15 MB) the agent never uses. So before
anything imports websockets the agent puts a stand-in under each name in ``sys.modules``: the
first attribute anyone reads from it imports the real module, which takes its place, and
answers from it, so ``importlib.metadata.version(...)``, ``from urllib.request import
Request`` and the like work as ever.
"""

from __future__ import annotations

import importlib
import sys
import types

DEFERRED = ("importlib.metadata", "urllib.request", "bz2", "lzma")


class _OnDemand(types.ModuleType):
    def __getattr__(self, attr: str) -> object:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)


def defer(name: str) -> None:
    """Put the stand-in for ``name`` in place, unless the real module is loaded already."""
    if name in sys.modules:
        return
    stand_in = _OnDemand(name)
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent:
        # ``import a.b`` then reads the attribute of the package, as it would after a real
        # import; importing the real module sets it to that.
        setattr(importlib.import_module(parent), child, stand_in)


def defer_unused() -> None:
    for name in DEFERRED:
        defer(name)
