"""The tables and rows of account-owned documents."""
