"""Secrets: where they come from (``env:``, ``secret:`` references, ``.runbench/secrets.toml``)
and the ``Redactor`` that keeps every value derived from one out of output and storage.
"""

from runbench.core.secrets._file import (
    check_name,
    remove_secret,
    secret_names,
    set_secret,
    state_dir,
)
from runbench.core.secrets._places import (
    SENSITIVE_HEADERS,
    SENSITIVE_QUERY,
    is_sensitive_header,
    is_sensitive_query,
)
from runbench.core.secrets._redactor import MIN_SECRET_LENGTH, REDACTED, Redactor
from runbench.core.secrets._secrets import (
    Secrets,
    secret_output_names,
    secrets_file,
)

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "SENSITIVE_HEADERS",
    "SENSITIVE_QUERY",
    "Redactor",
    "Secrets",
    "check_name",
    "is_sensitive_header",
    "is_sensitive_query",
    "remove_secret",
    "secret_names",
    "secret_output_names",
    "secrets_file",
    "set_secret",
    "state_dir",
]
