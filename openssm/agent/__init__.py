"""The agent: registration, the channel to the server, Run Command, sessions, inventory."""

from openssm.agent.on_demand import defer_unused

# Before any agent module can import websockets (see on_demand.py).
defer_unused()
