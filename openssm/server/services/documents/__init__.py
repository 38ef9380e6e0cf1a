"""SSM documents: the built-in catalog, reads, writes, listing, sharing and rendering for a run."""
