"""Run Command: rate control and the status roll-up so far (pure cores); sending, delivery and
output follow."""
