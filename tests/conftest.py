"""Generic fixtures only; the real server and PostgreSQL live in tests/integration."""
