"""AWS's Session Manager data-channel protocol, spoken by our client and our agent.

Base install only (the agent imports it): the standard library, websockets and msgspec.

- ``wire``: the binary ClientMessage (header, swapped message id, digest) and its codec.
- ``payloads``: OpenDataChannel, acknowledgements, flags, terminal size, channel_closed.
- ``handshake``: the handshake payloads and the version rules both peers apply.
- ``stream``: reliable in-order delivery (sequence numbers, acks, resends, window) as a pure
  state machine.
- ``smux``: the stream multiplexing of LocalPortForwarding sessions (codec and asyncio session).
- ``peer``: one end of a data channel over a WebSocket, for the client and the agent.
"""
