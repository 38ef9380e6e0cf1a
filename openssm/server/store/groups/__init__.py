"""The table and rows of resource groups."""
