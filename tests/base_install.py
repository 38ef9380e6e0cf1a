"""A venv holding the base install alone (`pip install openssm`, no extras), as a managed host
has it: for the e2e test that runs its agent and for bench/agent_rss.py.

pip installs from the package index pip is configured with, pinned by constraints.txt; the
project is copied first, so that nothing a previous build left in the working tree (build/,
stale modules) reaches the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What `pip install .` reads from the project.
_SOURCES = ("pyproject.toml", "README.md", "openssm")
INSTALL_TIMEOUT_S = 600


@dataclass(frozen=True)
class BaseVenv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def openssm(self) -> Path:
        """The console script `pip install` made."""
        return self.root / "bin" / "openssm"

    @property
    def site_packages(self) -> Path:
        (found,) = (self.root / "lib").glob("python3.*/site-packages")
        return found


def create_venv(root: Path, python: str = sys.executable) -> BaseVenv:
    """An empty venv of `python` (pip and what `python -m venv` puts beside it)."""
    subprocess.run([python, "-m", "venv", str(root)], check=True, timeout=120)
    return BaseVenv(root)


def install_base(venv: BaseVenv, scratch: Path) -> None:
    """`pip install .` of this project, no extras, into `venv`."""
    source = scratch / "openssm-source"
    for name in _SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, source / name)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    pip = [str(venv.python), "-m", "pip", "install", "--quiet"]
    done = subprocess.run(
        [*pip, "-c", str(ROOT / "constraints.txt"), str(source)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=INSTALL_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip install of the base package failed:\n{done.stderr}")


def tree_bytes(path: Path) -> int:
    """Disk space the files under `path` take (what `du` counts), each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for directory, _, files in os.walk(path):
        for name in (".", *files):
            info = (Path(directory) / name).lstat()
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total
