"""Running a Plan on this host: steps in order, each by its plugin, output streamed and masked.

The entry point is ``openssm.agent.run.executor.run_plan``. This package imports nothing
itself, so the plugins can use its types without an import cycle through the executor.

    context.py   RunContext, OutputSink, DocumentResolver: what the caller hands in
    outcome.py   StepStatus, StepOutcome, PlanOutcome: what comes back; status merging
    sequence.py  which step runs next (precondition, onFailure, onSuccess, finallyStep, …)
    masking.py   SecretMasker: ``{{ssm-secure:}}`` values become ``***``, across chunks too
    output.py    StepOutput: bytes from a step → decoded, masked, coalesced chunks to the sink
    executor.py  run_plan: the loop that ties the above to the plugins
"""
