"""The README's list of operations is generated from the operation table and checked by make."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from openssm.server.app import operation_table

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "readme_operations.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_operations", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_lists_every_operation_the_server_answers() -> None:
    script = _script()
    readme = script.README.read_text()
    assert script.rewritten(readme) == readme
    listed = readme[readme.index(script.BEGIN) : readme.index(script.END)]
    assert all(f"`{name}`" in listed for name in operation_table())


def test_a_stale_list_is_rewritten() -> None:
    script = _script()
    stale = f"intro\n{script.BEGIN}\n- **parameters**: `GetParameter`\n{script.END}\nrest\n"
    fresh = script.rewritten(stale)
    assert fresh != stale
    assert fresh.startswith(f"intro\n{script.BEGIN}\n")
    assert fresh.endswith(f"{script.END}\nrest\n")
    assert "`PutParameter`" in fresh
