"""curl commands as methods: ``parse_curl`` reads a command line the way curl does,
``plan_import`` decides the integration, method, auth and secrets it becomes.

Import from here. Writing the plan into a workspace goes through the workspace's edits.
"""

from runbench.core.curl._parse import (
    CurlCommand,
    parse_curl,
)
from runbench.core.curl._plan import (
    ImportPlan,
    default_integration_name,
    default_method_name,
    plan_import,
    url_under,
)

__all__ = [
    "CurlCommand",
    "ImportPlan",
    "default_integration_name",
    "default_method_name",
    "parse_curl",
    "plan_import",
    "url_under",
]
