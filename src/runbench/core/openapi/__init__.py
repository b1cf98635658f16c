"""OpenAPI 3 documents as integrations: ``read_spec`` reads one (JSON, or YAML with the
``openapi`` extra), ``plan_openapi`` decides the integration and one method per operation.

Import from here. Writing the plan into a workspace goes through ``WorkspaceEdits``.
"""

from runbench.core.openapi._plan import OpenApiPlan, base_url_of, plan_openapi
from runbench.core.openapi._schema import skeleton
from runbench.core.openapi._spec import MAX_SPEC_BYTES, Resolver, parse_spec, read_spec

__all__ = [
    "MAX_SPEC_BYTES",
    "OpenApiPlan",
    "Resolver",
    "base_url_of",
    "parse_spec",
    "plan_openapi",
    "read_spec",
    "skeleton",
]
