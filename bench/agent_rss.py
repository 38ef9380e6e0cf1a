"""A real agent's idle footprint (RSS, PSS, CPU%) and the size of the install it runs from.

By default the agent runs from a fresh venv holding the base install alone
(`pip install .` with constraints.txt, no extras: what a managed host gets); the
site-packages of that venv is measured before and after the install.
`--install dev` runs the agent of this interpreter instead (the dev venv).

A fresh server (SQLite, temp data dir, the default 30 s heartbeat unless
--heartbeat-s; with --tls, https:// with a certificate of a private CA the agent
is registered to trust, as in production) gets one agent registered through a
real activation; once the server shows it Online and it has settled, it is
sampled for --seconds.
PSS shares each library's pages among the processes mapping it (the server
shares libpython with the agent here), so it reads lower than on a host where
the agent runs alone. Target (issue 9): under 30 MB RSS idle. Asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.deployed import AS_DEPLOYED
from tests.agents import (
    OPENSSM,
    AgentProcess,
    create_activation,
    register_cli,
    wait_ping_status,
)
from tests.base_install import BaseVenv, create_venv, install_base, tree_bytes
from tests.support import ServerProcess
from tests.tls import PrivateCA

MB = 1024 * 1024
TARGET_RSS_MB = 30
# What the agent process imports to run, counted in its own interpreter.
_MODULE_COUNT = "import sys, openssm.agent.daemon; print(len(sys.modules))"


def _base_install(root: Path, python: str) -> BaseVenv:
    venv = create_venv(root / "venv", python)
    empty = tree_bytes(venv.site_packages)
    started = time.monotonic()
    install_base(venv, root)
    installed = tree_bytes(venv.site_packages)
    print(f"base install (`pip install .`, no extras) for {python}")
    print(f"  took {time.monotonic() - started:.0f}s")
    print(f"  site-packages: {installed / MB:.1f} MB; {(installed - empty) / MB:.1f} MB more")
    print(f"  than the empty venv's {empty / MB:.1f} MB (pip, setuptools)")
    sizes = sorted(
        ((tree_bytes(entry), entry.name) for entry in venv.site_packages.iterdir()),
        reverse=True,
    )
    print("  largest: " + ", ".join(f"{name} {size / MB:.1f}" for size, name in sizes[:8]))
    return venv


def _sample(agent: AgentProcess, seconds: float, heartbeat_s: float) -> None:
    process = psutil.Process(agent.pid)
    before = process.cpu_times()
    started = time.monotonic()
    peak_rss = 0
    while time.monotonic() - started < seconds:
        peak_rss = max(peak_rss, process.memory_info().rss)
        time.sleep(1.0)
    after = process.cpu_times()
    elapsed = time.monotonic() - started
    cpu_s = (after.user + after.system) - (before.user + before.system)
    full = process.memory_full_info()
    print(f"agent {agent.instance_id} idle for {elapsed:.0f}s")
    print(f"  heartbeat interval: {heartbeat_s:g}s")
    print(
        f"  RSS: {full.rss / MB:.1f} MB (peak {peak_rss / MB:.1f} MB; target < {TARGET_RSS_MB} MB)"
    )
    print(f"  PSS: {full.pss / MB:.1f} MB, USS: {full.uss / MB:.1f} MB")
    print(f"  threads: {process.num_threads()}, open files/sockets: {process.num_fds()}")
    print(f"  CPU: {cpu_s:.3f}s over {elapsed:.0f}s = {100 * cpu_s / elapsed:.3f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="sampling window")
    parser.add_argument("--settle-s", type=float, default=5.0, help="wait before sampling")
    parser.add_argument("--heartbeat-s", type=float, default=30.0, help="server heartbeat interval")
    parser.add_argument("--tls", action="store_true", help="serve https:// from a private CA")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter of the base venv (e.g. the distribution's /usr/bin/python3)",
    )
    parser.add_argument(
        "--install",
        choices=["base", "dev"],
        default="base",
        help="run the agent from a fresh base-only venv (default) or from this interpreter",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="openssm-agent-rss-") as tmp:
        root = Path(tmp)
        openssm: tuple[str, ...] = OPENSSM
        python = sys.executable
        if args.install == "base":
            venv = _base_install(root, args.python)
            openssm, python = (str(venv.openssm),), str(venv.python)
        modules = subprocess.run(
            [python, "-c", _MODULE_COUNT], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        print(f"modules the agent imports: {modules}")
        env = {
            "OPENSSM_HEARTBEAT_INTERVAL_S": str(args.heartbeat_s),
            "OPENSSM_CONNECTION_LOST_AFTER_S": str(max(120.0, args.heartbeat_s * 4)),
            **AS_DEPLOYED,
        }
        register_flags: tuple[str, ...] = ()
        ca_file = None
        if args.tls:
            ca = PrivateCA.create(root / "ca")
            certificate = ca.issue(root / "cert")
            env["OPENSSM_TLS_CERT"] = str(certificate.cert_file)
            env["OPENSSM_TLS_KEY"] = str(certificate.key_file)
            ca_file = ca.cert_file
            register_flags = ("--ca-file", str(ca.cert_file))
        server = ServerProcess(data_dir=root / "server", env=env, ca_file=ca_file)
        server.start()
        agent: AgentProcess | None = None
        try:
            ssm = server.client()
            activation_id, code = create_activation(ssm)
            done = register_cli(
                server.url, root / "agent", activation_id, code, *register_flags, openssm=openssm
            )
            if done.returncode != 0:
                print(f"registration failed: {done.stderr}", file=sys.stderr)
                return 1
            agent = AgentProcess(
                state_dir=root / "agent",
                instance_id=done.stdout.strip(),
                env={"OPENSSM_LOG_LEVEL": "info"},
                openssm=openssm,
            )
            agent.start()
            wait_ping_status(ssm, [agent.instance_id], "Online", timeout_s=30)
            time.sleep(args.settle_s)
            _sample(agent, args.seconds, args.heartbeat_s)
        finally:
            if agent is not None:
                agent.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
