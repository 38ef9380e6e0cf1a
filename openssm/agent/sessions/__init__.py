"""The agent's side of Session Manager: it is the client's protocol peer (as AWS's agent is)
over a leg it opens to the server for each session, and runs the shell, command or port
forward the session asks for."""
