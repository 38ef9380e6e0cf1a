"""The server's side of a session's bytes: the client's data channel, the agent's leg, the relay
between them and the transcript they leave."""
