"""Inventory: what managed instances report about themselves, and queries across the fleet."""
