"""The audit trail's tables and rows: one row per recorded API call or agent event."""
