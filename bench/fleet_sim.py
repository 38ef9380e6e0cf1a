"""Many agents from one process, with the real protocol: how many does one server hold?

Each simulated agent is registered through a real activation (CreateActivation
with boto3, at most 1,000 registrations each, so several activations), gets its
own Ed25519 key, and runs the agent's own ``AgentChannel`` (handshake, instance
information, heartbeats, reconnect with backoff). Prints how many connected and
stayed connected, the server's RSS before and after, and its memory per 1,000
agents. Target (issue 3): 10,000 agents on one server process under 1 GiB RSS.
Asserts nothing.

    python bench/fleet_sim.py --agents 10000            # starts its own server
    python bench/fleet_sim.py --url http://h:8787 --server-pid 1234 --credentials FILE
"""

from __future__ import annotations

import argparse
import asyncio
import configparser
import ipaddress
import json
import logging
import math
import resource
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import psutil
import uvloop
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from types_boto3_ssm.client import SSMClient

from bench.deployed import AS_DEPLOYED
from openssm.agent.channel import AgentChannel, ChannelState, CommandHandler
from openssm.backoff import Backoff
from openssm.protocol.frames import InstanceInfoFrame
from openssm.protocol.handshake import encode_public_key
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, ServerProcess

MB = 1024 * 1024
ACTIVATION_LIMIT = 1000


@dataclass
class SimAgent:
    index: int
    key: Ed25519PrivateKey
    instance_id: str = ""
    channel: AgentChannel | None = None


def raise_open_file_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def ssm_client(url: str, key_id: str, secret: str) -> SSMClient:
    return boto3.client(
        "ssm",
        endpoint_url=url,
        region_name=TEST_REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )


def register_one(url: str, activation: tuple[str, str], agent: SimAgent) -> None:
    body = {
        "ActivationId": activation[0],
        "ActivationCode": activation[1],
        "PublicKey": encode_public_key(agent.key.public_key().public_bytes_raw()),
        "Name": f"sim-{agent.index}",
    }
    request = urllib.request.Request(  # noqa: S310  # the server URL we were given
        url + "/agent/v1/register",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310  # as above
        agent.instance_id = json.loads(response.read())["InstanceId"]


def register_all(url: str, ssm: SSMClient, agents: list[SimAgent], concurrency: int) -> int:
    """Register every agent; returns how many failed."""
    activations: list[tuple[str, str]] = []
    for _ in range(math.ceil(len(agents) / ACTIVATION_LIMIT)):
        answer = ssm.create_activation(
            IamRole="openssm-fleet-sim", RegistrationLimit=ACTIVATION_LIMIT
        )
        activations.append((answer["ActivationId"], answer["ActivationCode"]))
    failures = 0
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [
            pool.submit(register_one, url, activations[a.index // ACTIVATION_LIMIT], a)
            for a in agents
        ]
        for future in futures:
            if future.exception() is not None:
                failures += 1
                if failures <= 3:
                    print(f"  registration failed: {future.exception()}", file=sys.stderr)
    return failures


def connected(agents: list[SimAgent]) -> int:
    return sum(
        1 for a in agents if a.channel is not None and a.channel.state is ChannelState.CONNECTED
    )


def server_rss(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        return psutil.Process(pid).memory_info().rss / MB
    except psutil.Error:
        return None


def count_online(ssm: SSMClient) -> int:
    """How many instances the server itself reports Online."""
    pages = ssm.get_paginator("describe_instance_information").paginate(
        Filters=[{"Key": "PingStatus", "Values": ["Online"]}],
        PaginationConfig={"PageSize": 50},
    )
    return sum(len(page["InstanceInformationList"]) for page in pages)


def start_server(data_dir: Path, *, heartbeat_s: float) -> ServerProcess:
    """A fresh `openssm server` (SQLite) whose heartbeat settings suit a large fleet."""
    env = {
        "OPENSSM_HEARTBEAT_INTERVAL_S": str(heartbeat_s),
        "OPENSSM_CONNECTION_LOST_AFTER_S": str(max(120.0, 4 * heartbeat_s)),
        **AS_DEPLOYED,
    }
    server = ServerProcess(data_dir=data_dir, env=env)
    server.start()
    return server


async def connect_fleet(
    url: str,
    agents: list[SimAgent],
    *,
    batch: int,
    stop: asyncio.Event,
    commands: Callable[[SimAgent], CommandHandler | None] = lambda _agent: None,
) -> list[asyncio.Task[None]]:
    """Start every agent's channel, ``batch`` at a time, each batch waited for (30 s at most);
    ``commands`` gives each agent what answers its Run Command frames."""
    tasks: list[asyncio.Task[None]] = []
    for first in range(0, len(agents), batch):
        group = agents[first : first + batch]
        for agent in group:
            info = InstanceInfoFrame(
                agent_version="fleet-sim",
                platform_type="Linux",
                platform_name="Simulated Linux",
                platform_version="1",
                ip_address=str(ipaddress.IPv4Address(0x0A000000 + agent.index)),
                computer_name=f"sim-{agent.index}",
            )
            agent.channel = AgentChannel(
                server_url=url,
                instance_id=agent.instance_id,
                private_key=agent.key,
                backoff=Backoff(base_s=0.5, cap_s=30.0),
                info_source=lambda info=info: info,  # type: ignore[misc]  # bound per agent
                commands=commands(agent),
            )
            tasks.append(asyncio.create_task(agent.channel.run(stop)))
        deadline = time.monotonic() + 30.0
        target = first + len(group)
        while connected(agents) < target and time.monotonic() < deadline:  # noqa: ASYNC110  # polling many channels' states
            await asyncio.sleep(0.05)
    return tasks


async def run_fleet(
    url: str,
    agents: list[SimAgent],
    *,
    ssm: SSMClient,
    batch: int,
    hold_s: float,
    server_pid: int | None,
) -> float | None:
    """Connect, hold, count; the server's RSS (MB) at the end of the hold, all still connected."""
    stop = asyncio.Event()
    started = time.monotonic()
    tasks = await connect_fleet(url, agents, batch=batch, stop=stop)
    ramp_s = time.monotonic() - started
    up = connected(agents)
    rss = server_rss(server_pid)
    print(f"ramp: {up}/{len(agents)} connected in {ramp_s:.1f}s", flush=True)
    if rss is not None:
        print(f"  server RSS after ramp: {rss:.0f} MB", flush=True)
    hold_started = time.monotonic()
    lowest = up
    while time.monotonic() - hold_started < hold_s:
        await asyncio.sleep(1.0)
        lowest = min(lowest, connected(agents))
    stayed = sum(
        1
        for a in agents
        if a.channel is not None
        and a.channel.state is ChannelState.CONNECTED
        and a.channel.sessions_count == 1
    )
    print(
        f"hold {hold_s:.0f}s: {connected(agents)} connected at the end, lowest {lowest}; "
        f"{stayed} stayed on their first connection",
        flush=True,
    )
    held_rss = server_rss(server_pid)
    started = time.monotonic()
    online = await asyncio.to_thread(count_online, ssm)
    took = time.monotonic() - started
    print(f"DescribeInstanceInformation: {online} Online (listed in {took:.1f}s)", flush=True)
    stop.set()
    await asyncio.wait(tasks, timeout=30)
    return held_rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--url", help="an existing server (default: start one)")
    parser.add_argument("--server-pid", type=int, help="the existing server's pid, for its RSS")
    parser.add_argument("--credentials", help="shared-credentials file with an [openssm] profile")
    parser.add_argument("--hold-s", type=float, default=60.0, help="how long to stay connected")
    parser.add_argument("--heartbeat-s", type=float, default=30.0, help="when starting a server")
    parser.add_argument("--register-concurrency", type=int, default=32)
    parser.add_argument("--connect-batch", type=int, default=250)
    args = parser.parse_args()

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s %(message)s")
    limit = raise_open_file_limit()
    print(f"open-file limit: {limit}")
    if limit < args.agents + 100:
        print(f"  warning: {args.agents} connections need more than {limit} files")

    server: ServerProcess | None = None
    tmp = tempfile.TemporaryDirectory(prefix="openssm-fleet-sim-")
    try:
        if args.url:
            url, pid = args.url.rstrip("/"), args.server_pid
            key_id, secret = ADMIN_KEY_ID, ADMIN_SECRET
            if args.credentials:
                profile = configparser.ConfigParser()
                profile.read(args.credentials)
                key_id = profile["openssm"]["aws_access_key_id"]
                secret = profile["openssm"]["aws_secret_access_key"]
        else:
            server = start_server(Path(tmp.name) / "server", heartbeat_s=args.heartbeat_s)
            url, pid = server.url, server.pid
            key_id, secret = ADMIN_KEY_ID, ADMIN_SECRET
        print(f"server: {url} (pid {pid})")
        baseline = server_rss(pid)
        ssm = ssm_client(url, key_id, secret)

        agents = [SimAgent(index=i, key=Ed25519PrivateKey.generate()) for i in range(args.agents)]
        started = time.monotonic()
        failures = register_all(url, ssm, agents, args.register_concurrency)
        took = time.monotonic() - started
        print(
            f"registered {len(agents) - failures}/{len(agents)} agents in {took:.1f}s "
            f"({(len(agents) - failures) / took:.0f}/s, "
            f"{math.ceil(len(agents) / ACTIVATION_LIMIT)} activations)"
        )
        agents = [a for a in agents if a.instance_id]
        before = server_rss(pid)
        if baseline is not None and before is not None:
            print(f"server RSS: {baseline:.0f} MB idle, {before:.0f} MB after registrations")

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            after = runner.run(
                run_fleet(
                    url,
                    agents,
                    ssm=ssm,
                    batch=args.connect_batch,
                    hold_s=args.hold_s,
                    server_pid=pid,
                )
            )
        if before is not None and after is not None and agents:
            print(
                f"server RSS with {len(agents)} agents: {after:.0f} MB; "
                f"{(after - before) / len(agents) * 1000:.1f} MB per 1,000 agents"
            )
        own = psutil.Process().memory_info().rss / MB
        print(f"simulator RSS: {own:.0f} MB")
    finally:
        if server is not None:
            server.stop()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
