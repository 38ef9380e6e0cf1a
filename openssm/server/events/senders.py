"""How one delivery reaches its target: a signed webhook POST, a line in a JSON-lines file,
EventBridge's PutEvents or SNS's Publish. Blocking; the relay runs them on worker threads.

Each ``send`` returns when the target has the event, and raises DeliveryFailed otherwise
(``permanent`` when retrying cannot help: a destination the server may not reach).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

from openssm.config import ServerSettings
from openssm.errors import OpenSSMError
from openssm.server.events import outbound
from openssm.server.secrets import Keyring
from openssm.server.store.events.rules import TargetRow

SIGNATURE_HEADER = "X-Openssm-Signature"
WEBHOOK_TIMEOUT_S = 10.0
# A file target names a file in the server's events directory, nothing more.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_FILE_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


class DeliveryFailed(OpenSSMError):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def signature(secret: str, body: bytes) -> str:
    """The X-Openssm-Signature value: sha256=<hex HMAC-SHA256 of the body under the secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def secret_binding(target: TargetRow) -> str:
    """What a target's sealed secret is bound to (a copied blob does not open elsewhere)."""
    if target.rule_id is None:
        return f"event-topic/{target.account_id}/{target.region}/{target.topic_arn}"
    return f"event-target/{target.account_id}/{target.region}/{target.rule_id}/{target.target_id}"


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, destination: outbound.Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, destination: outbound.Destination, timeout: float) -> None:
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = destination.address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


class Senders:
    """Sends deliveries for one server: its settings say where it may connect."""

    def __init__(self, settings: ServerSettings, keyring: Keyring) -> None:
        self._settings = settings
        self._keyring = keyring
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()

    def send(self, target: TargetRow, body: str) -> None:
        try:
            if target.kind == "webhook":
                self._webhook(target, body.encode())
            elif target.kind == "file":
                self._file(target.address, body)
            elif target.kind == "eventbridge":
                self._put_events(target.address, body)
            elif target.kind == "sns":
                self._publish(target.address, body)
            else:
                raise DeliveryFailed(f"unknown target kind {target.kind!r}", permanent=True)
        except outbound.OutboundRefused as exc:
            raise DeliveryFailed(str(exc), permanent=True) from exc
        except OSError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

    # --- webhook ---

    def _webhook(self, target: TargetRow, body: bytes) -> None:
        destination = outbound.resolve(
            target.address, allow_link_local=self._settings.events_allow_link_local
        )
        headers = {"Content-Type": "application/json", "User-Agent": "openssm-events"}
        if target.secret_sealed:
            secret = self._keyring.open_secret(
                target.secret_sealed, bound_to=secret_binding(target)
            )
            headers[SIGNATURE_HEADER] = signature(secret, body)
        kind = _PinnedHTTPS if destination.scheme == "https" else _PinnedHTTP
        connection = kind(destination, WEBHOOK_TIMEOUT_S)
        try:
            connection.request("POST", destination.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(64 * 1024)
        except (http.client.HTTPException, OSError) as exc:
            raise DeliveryFailed(f"POST {destination.host}: {type(exc).__name__}: {exc}") from exc
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            raise DeliveryFailed(f"POST {destination.host}: HTTP {response.status}")

    # --- file ---

    def _file(self, name: str, body: str) -> None:
        if not FILE_NAME.fullmatch(name):
            raise DeliveryFailed(f"{name!r} is not a file name", permanent=True)
        directory = self._settings.resolved_events_file_dir
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        line = (body + "\n").encode()
        fd = os.open(Path(directory) / name, _FILE_FLAGS, 0o600)
        try:
            os.write(fd, line)  # O_APPEND: one write, one whole line, even with replicas
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- AWS-compatible services ---

    def _client(self, service: str, region: str) -> Any:
        """A cached boto3 client of ``events`` or ``sns``, at the endpoint the server's
        configuration names (AWS's otherwise), with the server's own AWS credentials."""
        with self._clients_lock:
            client = self._clients.get((service, region))
            if client is None:
                import boto3
                import botocore.config

                session = boto3.session.Session()
                config = botocore.config.Config(
                    retries={"mode": "standard", "max_attempts": 2},
                    connect_timeout=5,
                    read_timeout=10,
                )
                if service == "events":
                    client = session.client(
                        "events",
                        region_name=region,
                        endpoint_url=self._settings.events_eventbridge_endpoint_url,
                        config=config,
                    )
                else:
                    client = session.client(
                        "sns",
                        region_name=region,
                        endpoint_url=self._settings.events_sns_endpoint_url,
                        config=config,
                    )
                self._clients[(service, region)] = client
            return client

    def _put_events(self, bus_arn: str, body: str) -> None:
        import botocore.exceptions

        event = json.loads(body)
        region = _arn_region(bus_arn) or event.get("region") or "us-east-1"
        entry = {
            "Source": self._settings.events_source,
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"], separators=(",", ":")),
            "Resources": event.get("resources", []),
            "EventBusName": bus_arn,
        }
        try:
            answer = self._client("events", region).put_events(Entries=[entry])
        except botocore.exceptions.BotoCoreError as exc:
            raise DeliveryFailed(f"PutEvents: {exc}") from exc
        except botocore.exceptions.ClientError as exc:
            raise DeliveryFailed(f"PutEvents: {exc}") from exc
        if answer.get("FailedEntryCount"):
            failed = answer["Entries"][0]
            raise DeliveryFailed(
                f"PutEvents: {failed.get('ErrorCode')}: {failed.get('ErrorMessage')}"
            )

    def _publish(self, topic_arn: str, body: str) -> None:
        import botocore.exceptions

        region = _arn_region(topic_arn) or "us-east-1"
        try:
            self._client("sns", region).publish(TopicArn=topic_arn, Message=body)
        except botocore.exceptions.BotoCoreError as exc:
            raise DeliveryFailed(f"Publish: {exc}") from exc
        except botocore.exceptions.ClientError as exc:
            raise DeliveryFailed(f"Publish: {exc}") from exc


def _arn_region(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 else ""
