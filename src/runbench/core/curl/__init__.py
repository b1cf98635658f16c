"""curl commands as methods: ``parse_curl`` reads a command line the way curl does,
``plan_import`` decides the integration, method, auth and secrets it becomes, and
``export_curl`` writes a method back as the command that sends what `runbench test` sends.

Import from here. Writing the plan into a workspace goes through the workspace's edits.
"""

from runbench.core.curl._export import CurlExport, export_curl, quote_shell
from runbench.core.curl._parse import (
    CurlCommand,
    parse_curl,
)
from runbench.core.curl._plan import (
    ImportPlan,
    default_integration_name,
    default_method_name,
    env_name,
    plan_import,
    url_under,
)

__all__ = [
    "CurlExport",
    "export_curl",
    "quote_shell",
    "CurlCommand",
    "ImportPlan",
    "default_integration_name",
    "default_method_name",
    "env_name",
    "parse_curl",
    "plan_import",
    "url_under",
]
