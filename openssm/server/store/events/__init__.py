"""Event rules, their targets, notification topics and per-target deliveries."""
