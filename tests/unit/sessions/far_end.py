"""A stand-in for the relay and the agent of one session, for the client's tests: it takes the
client's sockets (each token once), keeps the agent's peer across them as the relay does,
and plays the agent's side with the same protocol modules."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from websockets.asyncio.server import ServerConnection, serve

from openssm.errors import SessionEnded
from openssm.sessions.handshake import HandshakeComplete, HandshakeRequest
from openssm.sessions.mux import MuxSession, MuxStream
from openssm.sessions.payloads import parse_open_data_channel, parse_size
from openssm.sessions.peer import DataChannelPeer
from openssm.sessions.wire import MessageType, PayloadType


class FarEnd:
    """Accepts the client's sockets for one session: each token works once, and the agent's
    peer goes on across sockets as the relay keeps it."""

    def __init__(self, port_type: str) -> None:
        self.peer = DataChannelPeer(MessageType.OUTPUT_STREAM_DATA)
        self.tokens = {"token-0"}
        self.issued = 0
        self.port_type = port_type
        self.sockets: list[ServerConnection] = []
        self.opened: list[str] = []
        self.connected = asyncio.Event()

    def fresh_token(self) -> str:
        self.issued += 1
        token = f"token-{self.issued}"
        self.tokens.add(token)
        return token

    async def accept(self, socket: ServerConnection) -> None:
        opening = parse_open_data_channel(await socket.recv())
        if opening.token not in self.tokens:
            await socket.close(4001, "token refused")
            return
        self.tokens.discard(opening.token)
        self.opened.append(opening.client_version)
        self.sockets.append(socket)
        await self.peer.attach(socket)
        self.connected.set()
        await socket.wait_closed()

    async def shake_hands(self) -> None:
        properties = {"portNumber": "0", "type": self.port_type}
        request = HandshakeRequest.for_session("Port", properties)
        await self.peer.send(request.to_payload(), PayloadType.HANDSHAKE_REQUEST)
        response = await self.peer.receive()
        assert response.payload_type == PayloadType.HANDSHAKE_RESPONSE
        await self.peer.send(HandshakeComplete().to_payload(), PayloadType.HANDSHAKE_COMPLETE)

    async def echo_streams(self) -> None:
        """As the agent would with each stream's TCP target: here, echo it back."""
        mux = MuxSession(self.peer.send, client=False)

        async def echo(stream: MuxStream) -> None:
            while data := await stream.read():
                await stream.write(data)
            await stream.close()

        async def accept() -> None:
            tasks = set()
            with contextlib.suppress(SessionEnded):
                while True:
                    tasks.add(asyncio.create_task(echo(await mux.accept_stream())))

        acceptor = asyncio.create_task(accept())
        with contextlib.suppress(SessionEnded):
            while True:
                await mux.feed((await self.peer.receive()).payload)
        mux.close()
        await acceptor


@contextlib.asynccontextmanager
async def far_end(port_type: str = "LocalPortForwarding") -> AsyncIterator[tuple[FarEnd, str]]:
    far = FarEnd(port_type)
    async with serve(far.accept, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield far, f"ws://127.0.0.1:{port}/v1/data-channel/alice-0123?role=publish_subscribe"
        await far.peer.close()


async def line_shell(peer: DataChannelPeer) -> None:
    """A line-at-a-time stand-in for the agent's shell: a prompt, echo of what is typed,
    ``stty size`` answered from the last size message, ``echo WORDS``, ``^C`` and ``exit``
    (which closes the channel as the agent does)."""
    size = "24 80"
    line = bytearray()
    await peer.send(b"$ ")
    with contextlib.suppress(SessionEnded):
        while True:
            message = await peer.receive()
            if message.payload_type == PayloadType.SIZE:
                body = parse_size(message.payload)
                size = f"{body.rows} {body.cols}"
                continue
            for key in message.payload:
                if key == 0x03:
                    line.clear()
                    await peer.send(b"^C\r\n$ ")
                elif key == ord("\r"):
                    command = line.decode()
                    line.clear()
                    await peer.send(b"\r\n")
                    if command == "exit":
                        await peer.send(b"exit\r\n")
                        await peer.close("Exiting session", notify=True)
                        return
                    if command == "stty size":
                        await peer.send(f"{size}\r\n".encode())
                    elif command.startswith("echo "):
                        await peer.send(f"{command[5:]}\r\n".encode())
                    await peer.send(b"$ ")
                else:
                    line.append(key)
                    await peer.send(bytes([key]))
