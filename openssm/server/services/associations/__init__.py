"""State Manager: associations that keep hosts in their desired state (issue 12)."""
