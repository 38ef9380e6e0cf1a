"""The README's boto3 example works as printed, against a real server at the default address."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from openssm.config import ServerSettings
from tests.support import ServerProcess

README = Path(__file__).resolve().parents[3] / "README.md"
DEFAULT_URL = f"http://{ServerSettings().host}:{ServerSettings().port}"


def _python_example() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```$", README.read_text(), re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "the README has one Python example"
    return str(blocks[0])


def test_the_boto3_example_runs_as_printed(sqlite_server: ServerProcess, tmp_path: Path) -> None:
    example = _python_example()
    # The one change: the test server's port for the default one the README shows.
    assert DEFAULT_URL in example
    code = example.replace(DEFAULT_URL, sqlite_server.url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= {
        "AWS_SHARED_CREDENTIALS_FILE": str(sqlite_server.data_dir / "credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "admin"
    assert all(re.fullmatch(r"mi-[0-9a-f]{17} \w+", line) for line in lines[1:])
