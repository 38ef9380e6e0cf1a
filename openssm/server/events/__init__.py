"""Events the server emits: written to a transactional outbox, delivered later."""
