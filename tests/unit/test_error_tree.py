"""Every exception class openssm defines derives from the one tree rooted at OpenSSMError.

STYLE §3.4: callers catch by meaning (``except StoreError``) and the API catch-all is the only
place an unexpected error turns into a 500, which holds only if no module grows a private
root of its own. Control-flow signals that are not errors derive from BaseException, as
KeyboardInterrupt does, and are not errors for this rule.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import openssm
from openssm.errors import OpenSSMError


def _exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(openssm.__path__, prefix="openssm."):
        if ".migrations." in info.name or info.name.endswith("__main__"):
            # Alembic scripts (env, revisions) only run inside a migration context; __main__ runs
            # the command line when imported.
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, Exception):
                found.append(cls)
    return found


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    names = {cls.__module__.split(".")[1] for cls in _exception_classes()}
    assert {"errors", "server", "documents"} <= names


def test_every_exception_class_derives_from_openssm_error() -> None:
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exception_classes()
        if not issubclass(cls, OpenSSMError)
    ]
    assert strays == []
