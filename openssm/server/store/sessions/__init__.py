"""The table and rows of Session Manager sessions."""
