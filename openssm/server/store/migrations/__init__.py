"""Alembic migrations: one tree for both dialects, applied on server start."""
