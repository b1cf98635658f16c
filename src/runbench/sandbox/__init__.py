"""A local stand-in for HaloITSM and OpenAI, for building runbooks without a tenant.

Not part of ``runbench.core``: it is a web app (Starlette + uvicorn) that the CLI, the
demo and the tests start; nothing in the core depends on it.
"""

from runbench.sandbox.app import create_app
from runbench.sandbox.server import RunningSandbox, start_in_thread
from runbench.sandbox.store import HaloState

__all__ = ["HaloState", "RunningSandbox", "create_app", "start_in_thread"]
