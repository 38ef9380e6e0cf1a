"""A test-side agent: registers through the real endpoint and speaks the real channel protocol.

It is a driver, not a mock: every byte goes over HTTP and a WebSocket to a real server. The
signature is built from protocol/SPEC.md here rather than with openssm.protocol, so the tests
also check that the shared code and the spec agree. Tests can bend each step (sign with the
wrong key, replay a captured hello, send frames out of order) to prove the server refuses.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from types_boto3_ssm.client import SSMClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support import ServerEndpoint

Frame = dict[str, Any]


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def post_register(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST /agent/v1/register; returns (HTTP status, decoded JSON body)."""
    return post_register_raw(url, json.dumps(body).encode())


def post_register_raw(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST these exact bytes to /agent/v1/register; a body that isn't JSON comes back as
    ``{"raw": text}``."""
    request = urllib.request.Request(
        url + "/agent/v1/register",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read() or b"{}"
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, {"raw": raw.decode(errors="replace")}


@dataclass
class Identity:
    """What `openssm agent register` leaves on a host: an instance id and its private key."""

    instance_id: str
    key: Ed25519PrivateKey = field(repr=False)
    region: str = ""
    account_id: str = ""


class RegistrationRefused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def register(
    url: str, activation_id: str, activation_code: str, *, name: str | None = None
) -> Identity:
    key = Ed25519PrivateKey.generate()
    body: dict[str, Any] = {
        "ActivationId": activation_id,
        "ActivationCode": activation_code,
        "PublicKey": public_key_b64(key),
    }
    if name is not None:
        body["Name"] = name
    status, answer = post_register(url, body)
    if status != 200:
        raise RegistrationRefused(status, answer)
    return Identity(
        instance_id=answer["InstanceId"],
        key=key,
        region=answer["Region"],
        account_id=answer["AccountId"],
    )


def signed_hello(
    identity: Identity,
    nonce: str,
    *,
    key: Ed25519PrivateKey | None = None,
    timestamp: float | None = None,
) -> Frame:
    """The hello of protocol/SPEC.md step 2, signed with ``key`` (the identity's by default)."""
    ts = round(time.time() if timestamp is None else timestamp, 6)
    payload = f"openssm-agent-v1\n{identity.instance_id}\n{nonce}\n{ts:.6f}".encode()
    signature = (key or identity.key).sign(payload)
    return {
        "type": "hello",
        "protocol": 1,
        "instance_id": identity.instance_id,
        "nonce": nonce,
        "timestamp": ts,
        "signature": base64.b64encode(signature).decode(),
    }


INFO: Frame = {
    "type": "instance_info",
    "agent_version": "0.1.0",
    "platform_type": "Linux",
    "platform_name": "Debian GNU/Linux",
    "platform_version": "12",
    "ip_address": "192.0.2.10",
    "computer_name": "test-host.example",
}


class ChannelClient:
    """One WebSocket to ``/agent/v1/channel``; frames are plain dicts."""

    def __init__(self, url: str) -> None:
        self.url = "ws" + url.removeprefix("http") + "/agent/v1/channel"
        self.ws: ClientConnection = connect(
            self.url,
            compression=None,
            proxy=None,
            open_timeout=10,
            close_timeout=2,
            max_queue=None,
            legacy=True,  # a long-lived connection, not a with-block
        )
        self.challenge: Frame = self.recv()
        assert self.challenge["type"] == "challenge", self.challenge
        self._quiet = threading.Event()
        self._beater: threading.Thread | None = None

    @property
    def nonce(self) -> str:
        nonce: str = self.challenge["nonce"]
        return nonce

    def send(self, frame: Frame) -> None:
        self.ws.send(json.dumps(frame))

    def recv(self, timeout_s: float = 10.0) -> Frame:
        """The next frame; ConnectionClosed once the server closed (see ``close_code``)."""
        frame: Frame = json.loads(self.ws.recv(timeout=timeout_s))
        return frame

    def recv_until_closed(self, timeout_s: float = 10.0) -> list[Frame]:
        """Every frame until the server closes the connection."""
        frames: list[Frame] = []
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                frames.append(self.recv(max(0.01, deadline - time.monotonic())))
        except ConnectionClosed:
            return frames

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    def hello(self, identity: Identity, **kwargs: Any) -> Frame:
        """Answer the challenge; returns the server's answer (welcome or rejected)."""
        frame = signed_hello(identity, self.nonce, **kwargs)
        self.last_hello = frame
        self.send(frame)
        return self.recv()

    def heartbeat(self) -> Frame:
        self.send({"type": "heartbeat", "sent_at": time.time()})
        return self.recv()

    def start_heartbeats(self, interval_s: float) -> None:
        """Heartbeat from a thread (acks are left unread) until ``stop_heartbeats``."""
        self._quiet.clear()

        def beat() -> None:
            while True:
                try:
                    self.send({"type": "heartbeat", "sent_at": time.time()})
                except ConnectionClosed:
                    return
                # The pace of a real agent; stop_heartbeats ends the wait at once.
                if self._quiet.wait(interval_s):
                    return

        self._beater = threading.Thread(target=beat, daemon=True)
        self._beater.start()

    def stop_heartbeats(self) -> None:
        self._quiet.set()
        if self._beater is not None:
            self._beater.join(timeout=5)
            self._beater = None

    def close(self) -> None:
        self.stop_heartbeats()
        self.ws.close()


def connect_agent(url: str, identity: Identity, *, info: Frame | None = None) -> ChannelClient:
    """A connected, welcomed agent that has sent its instance information."""
    client = ChannelClient(url)
    answer = client.hello(identity)
    assert answer["type"] == "welcome", answer
    client.send(info or INFO)
    return client


def activate(ssm: SSMClient, *, limit: int = 1, **kwargs: Any) -> tuple[str, str]:
    """CreateActivation through the public API; returns (ActivationId, ActivationCode)."""
    kwargs.setdefault("IamRole", "SSMServiceRole")
    created = ssm.create_activation(RegistrationLimit=limit, **kwargs)
    return created["ActivationId"], created["ActivationCode"]


def register_hosts(server: ServerEndpoint, count: int) -> list[str]:
    """``count`` registered managed instances (no agent runs for them)."""
    activation_id, code = activate(server.client(), limit=count)
    return [register(server.url, activation_id, code).instance_id for _ in range(count)]
