"""Parameter Store's tables and rows."""
