"""Resource groups: a named tag query over the resources of one account and region."""
