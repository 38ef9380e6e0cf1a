"""The agent side of the server: registration over HTTP and the WebSocket channel."""
