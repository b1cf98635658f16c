"""The starter workspace `runbench init` writes and the workbench offers for a new file.

A new user should not face an empty file and a format reference: the starter is a
small, commented, working workspace (one integration with one method, one runbook with
an input, a method step and two ends) that runs against the local sandbox and shows
where a secret goes. It checks clean apart from one warning that says how to set the
secret it references.
"""

from __future__ import annotations

STARTER = """\
# A runbench workspace: custom integrations (HTTP APIs, each with its methods) and
# runbooks (flowcharts of method calls and conditions). `runbench check FILE` validates
# it; `runbench tui FILE` edits, tests and runs it. Every key: docs/workspace-format.md.
#
# It starts against the local sandbox (`runbench sandbox` in another terminal), whose
# OpenAI-compatible API accepts the key "sk-sandbox". Secrets never go in this file:
# store the key once with `runbench secret set openai_key` (it is kept, mode 0600, in
# .runbench/secrets.toml beside this file; .runbench/ is ignored by git).

name = {name}

[variables]
# <<sandbox>> anywhere below; `--var sandbox=https://...` overrides it for a session.
sandbox = "http://127.0.0.1:8781"

# --- Integrations ---------------------------------------------------------------

[integrations.openai]
title = "OpenAI"
base_url = "<<sandbox>>/openai/v1"
auth = {{ type = "bearer", token = {{ secret = "openai_key" }} }}

[integrations.openai.methods.completions]
title = "Post completions"
verb = "POST"
path = "/completions"
body_type = "json"
body = '''{{"model": "gpt-3.5-turbo-instruct", "prompt": "<<prompt!>>", "max_tokens": 200}}'''
# An output is a path over the response; steps after this one can use <<Answer>>.
outputs = {{ Answer = "response^choices[0]^text!" }}
test_values = {{ prompt = "How do I reset my password?" }}

# --- Runbooks -------------------------------------------------------------------

[runbooks.ask]
title = "Ask a question"
start = "ask"

[runbooks.ask.inputs]
question = {{ type = "string", default = "How do I reset my password?" }}

[runbooks.ask.steps.ask]
kind = "method"
method = "openai.completions"
args = {{ prompt = "<<question!>>" }}
on_success = "done"
on_failure = "failed"

[runbooks.ask.steps.done]
kind = "end"
result = "success"
message = "<<Answer>>"

[runbooks.ask.steps.failed]
kind = "end"
result = "failure"
message = "The API did not answer"
"""


def starter_text(name: str) -> str:
    """The starter workspace, called ``name``."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return STARTER.format(name=f'"{escaped}"')


__all__ = ["STARTER", "starter_text"]
