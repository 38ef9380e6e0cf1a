"""``importlib.metadata`` loaded when something uses it, not when websockets imports it.

websockets imports ``importlib.metadata`` at start-up (its ``version`` module, to describe a
development checkout) and, in a release, never uses it. Loading it brings zipfile, csv, the
email package's parser and more: 0.8 MB on every idle agent (bench/agent_rss.py), the
difference between over and under the agent's 30 MB target. So before anything imports
websockets the agent puts a stand-in under that name in ``sys.modules``: the first attribute
anyone reads from it imports the real module, which takes its place, and answers from it, so
``importlib.metadata.version(...)`` and ``from importlib.metadata import version`` work as
ever.
"""

from __future__ import annotations

import importlib
import sys
import types

NAME = "importlib.metadata"


class _OnDemand(types.ModuleType):
    def __getattr__(self, attr: str) -> object:
        if sys.modules.get(NAME) is self:
            del sys.modules[NAME]
        return getattr(importlib.import_module(NAME), attr)


def defer_metadata() -> None:
    """Put the stand-in in place, unless the real module is loaded already."""
    if NAME not in sys.modules:
        stand_in = _OnDemand(NAME)
        sys.modules[NAME] = stand_in
        # ``import importlib.metadata`` then reads the attribute of the package, as it would
        # after a real import; importing the real module sets it to that.
        importlib.metadata = stand_in
