"""Inventory's tables and their repository."""
