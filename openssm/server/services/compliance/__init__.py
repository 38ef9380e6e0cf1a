"""Configuration compliance: items per resource and type, their roll-ups, and the writes
other capabilities make (``writes`` says how to call them from another transaction)."""
