"""SSM documents, shared by the server (validation, SendCommand) and the agent (execution).

Pure and I/O-free: no sockets, no database, no Parameter Store. Callers pass a
resolver for ``{{ssm:…}}`` references. Nothing here imports the server, the
agent or the CLI.

This package re-exports nothing: callers import the module they need, and
load only what that module needs. The agent must never load the YAML parser
that ``content.py`` uses: PyYAML comes with the server's extra, not the base
install.

    content.py         Content text ⇄ dict (JSON, YAML), the Sha256 hash
    schema.py          Document: type, schemaVersion, parameters, steps or session
    steps.py           mainSteps / runtimeConfig steps, preconditions
    values.py          OnFailure, Precondition, SessionType, SessionSpec: shared with a Plan
    sessions.py        Session document body (sessionType, inputs, properties)
    actions.py         plugin actions and the platforms they run on
    parameters.py      ParameterDef, typing and checking supplied values
    parameter_defs.py  parsing a document's ``parameters`` block
    patterns.py        refusing allowedPattern regexes that backtrack exponentially
    placeholders.py    ``{{ name }}``, ``{{ssm:…}}``, ``{{ssm-secure:…}}`` substitution
    kinds.py           DocumentType: Command, Policy, Session
    plan.py            Plan: the steps an agent runs, and its wire codec (msgspec)
    render.py          render(): document + values → a Plan
    names.py           document/step name rules, reserved prefixes
    catalog/           the built-in AWS-* documents
    errors.py          DocumentContentError, DocumentSchemaVersionError, DocumentParameterError
"""
