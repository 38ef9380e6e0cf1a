"""Commands' whole output on its way from agents to the object store.

staging.py    OutputStaging: the unbroken start of each stream received so far, on disk
collector.py  OutputCollector: stages output frames, asks agents for what is missing and
              publishes each invocation's output before its result is recorded
"""
