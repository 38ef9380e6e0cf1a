"""`openssm agent run`: the agent process from start to orderly exit.

Start: load the registration and key, open the ledger. Run: the channel
reconnects until told to stop. Stop (SIGTERM/SIGINT): close the channel,
bounded by a deadline, then close the ledger and exit 0. A deregistered
instance exits with EXIT_DEREGISTERED, which the systemd unit does not restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
import time
from typing import Protocol

import openssm
from openssm.agent import platform_info
from openssm.agent.channel import AgentChannel
from openssm.agent.commands import CommandRunner
from openssm.agent.inventory.reporter import InventoryReporter
from openssm.agent.ledger import Ledger
from openssm.agent.proc import watch_children_with_pidfd
from openssm.agent.reboot import reboot_with
from openssm.agent.run.executor import remove_stale_runs
from openssm.agent.run.script_root import remove_stale_scripts, tmpfs_script_root
from openssm.agent.sessions.leg import LegOpener
from openssm.agent.sessions.manager import SessionManager
from openssm.agent.spool import OutputSpool
from openssm.agent.state import StateDir
from openssm.agent.transport import refuse_plain_http, verifying_context
from openssm.backoff import Backoff
from openssm.config import AgentSettings
from openssm.errors import AgentError, InstanceDeregistered

log = logging.getLogger("openssm.agent")

EXIT_OK = 0
EXIT_NOT_READY = 2
EXIT_DEREGISTERED = 3
# Acknowledged results and started ids are kept this long, then forgotten.
LEDGER_RETENTION_S = 30 * 24 * 3600.0


class Service(Protocol):
    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set, then wind down and return."""
        ...


async def serve(service: Service, *, deadline_s: float) -> None:
    """Run `service` until SIGTERM/SIGINT; then give it `deadline_s` to finish, else cancel it."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    runner = asyncio.create_task(service.run(stop), name="service")
    stopper = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set() and not runner.done():
            log.info("stopping (deadline %.1fs)", deadline_s)
            try:
                await asyncio.wait_for(asyncio.shield(runner), timeout=deadline_s)
            except TimeoutError:
                log.warning("shutdown took longer than %.1fs; cancelling what is left", deadline_s)
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
                return
        runner.result()
    finally:
        stopper.cancel()
        for signum in signals:
            loop.remove_signal_handler(signum)


def run_agent(settings: AgentSettings) -> int:
    """The whole agent process; returns its exit code."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # Everything the agent creates (ledger, WAL) is private to its user.
    os.umask(0o077)
    state = StateDir(settings.state_dir)
    try:
        state.ensure()
        registration = state.load_registration()
        key = state.load_private_key()
        refuse_plain_http(
            registration.server_url, allow_insecure_http=registration.allow_insecure_http
        )
        tls = None
        if registration.server_url.startswith("https:"):
            tls = verifying_context(state.load_server_ca())
    except (AgentError, OSError) as exc:
        log.error("%s", exc)
        return EXIT_NOT_READY
    log.info(
        "openssm agent %s starting as %s for %s",
        openssm.__version__,
        registration.instance_id,
        registration.server_url,
    )
    try:
        ledger = Ledger(state.ledger_file)
    except AgentError as exc:
        log.error("%s", exc)
        return EXIT_NOT_READY
    with ledger:
        ledger.prune(older_than=time.time() - LEDGER_RETENTION_S)
        # Scripts of runs an earlier agent process left behind may hold secrets.
        remove_stale_runs(state.runs_dir)
        script_root = tmpfs_script_root(state.root)
        if script_root is not None:
            remove_stale_scripts(script_root)
        spool = OutputSpool(state.output_dir)
        # Output is kept only for results the server has not acknowledged yet, and for
        # commands that resume after a reboot.
        spool.keep_only(
            [pending.command_id for pending in ledger.pending_results()] + ledger.waiting_resumes()
        )
        commands = CommandRunner(
            ledger=ledger,
            instance_id=registration.instance_id,
            work_root=state.runs_dir,
            script_root=script_root,
            spool=spool,
            reboot=reboot_with(settings.reboot_command),
            inventory=InventoryReporter(state.root / "inventory"),
        )
        channel = AgentChannel(
            server_url=registration.server_url,
            instance_id=registration.instance_id,
            private_key=key,
            tls=tls,
            backoff=Backoff(base_s=settings.backoff_base_s, cap_s=settings.backoff_cap_s),
            info_source=platform_info.gather,
            commands=commands,
            sessions=SessionManager(
                LegOpener(
                    server_url=registration.server_url,
                    instance_id=registration.instance_id,
                    private_key=key,
                    tls=tls,
                )
            ),
        )
        watch_children_with_pidfd()
        try:
            asyncio.run(serve(channel, deadline_s=settings.shutdown_deadline_s))
        except InstanceDeregistered as exc:
            log.error(
                "instance %s was deregistered by the server (%s); the agent stops and will "
                "not reconnect. To manage this host again, create an activation and run "
                "`openssm agent register --force`.",
                registration.instance_id,
                exc,
            )
            return EXIT_DEREGISTERED
        finally:
            if script_root is not None:
                # Nothing runs any more; the directory is made again at the next start.
                shutil.rmtree(script_root, ignore_errors=True)
    log.info("openssm agent stopped")
    return EXIT_OK
