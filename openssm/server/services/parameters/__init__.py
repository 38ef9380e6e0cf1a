"""Parameter Store: names, values, filters, policies, reads, writes and the hot-path cache."""
