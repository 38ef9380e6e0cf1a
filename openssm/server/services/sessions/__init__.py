"""Session Manager: StartSession and the session's life on the server (tokens, statuses,
preferences, run-as, transcripts), apart from the bytes the relay carries."""
