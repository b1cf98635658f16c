"""Local files: read with a size cap (every file runbench reads goes through here), and
the private folder runbench keeps its state in.

A path given by mistake (``/dev/zero``, a disk image, a log) must end in a clear error, not in
a process that reads until memory runs out. ``st_size`` cannot tell that for devices, pipes
and files that grow while read, so the cap is enforced on the bytes actually read.
"""

from runbench.core.files._capped import (
    MAX_INPUT_BYTES,
    MAX_SECRETS_BYTES,
    MAX_WORKSPACE_BYTES,
    FileTooLargeError,
    not_text,
    read_capped_bytes,
    read_capped_text,
    unreadable,
)
from runbench.core.files._json import (
    json_error_reason,
    json_error_text,
    json_kind,
    load_json_text,
)
from runbench.core.files._private import private_folder

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_SECRETS_BYTES",
    "MAX_WORKSPACE_BYTES",
    "FileTooLargeError",
    "json_error_reason",
    "json_error_text",
    "json_kind",
    "load_json_text",
    "not_text",
    "private_folder",
    "read_capped_bytes",
    "read_capped_text",
    "unreadable",
]
