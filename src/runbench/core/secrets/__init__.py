"""Secrets: where they come from (``env:``, ``secret:`` references, ``.runbench/secrets.toml``)
and the ``Redactor`` that keeps every value derived from one out of output and storage.
"""

from runbench.core.secrets._secrets import (
    REDACTED,
    Redactor,
    Secrets,
    secrets_file,
)

__all__ = [
    "REDACTED",
    "Redactor",
    "Secrets",
    "secrets_file",
]
