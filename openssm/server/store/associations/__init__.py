"""Rows of State Manager: associations, their versions, executions and per-host state."""
