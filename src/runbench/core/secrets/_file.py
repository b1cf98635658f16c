"""The workspace's secrets file, written: ``runbench secret set/rm`` and the workbench.

``.runbench/secrets.toml`` beside the workspace holds ``name = "value"`` lines and must be
readable by its owner only (``Secrets`` refuses it otherwise). Writes go through a
temporary file created with mode 0600 in the same folder (``mkstemp`` makes it so; there
is no moment when the value sits in a file others can read) and a rename; the folder is
made 0700 with a ``.gitignore`` that keeps it out of git. A line is replaced in place so
comments the user wrote stay; the file is rewritten whole only when it cannot be edited
line by line (a multi-line value, say). Values are never printed, logged or echoed.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path

from runbench.core.errors import SecretError, UsageError
from runbench.core.files import (
    MAX_SECRETS_BYTES,
    FileTooLargeError,
    private_folder,
    read_capped_text,
)
from runbench.core.secrets._secrets import read_secrets_file, secrets_file

NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise UsageError(
            f'secret name {name!r}: use letters, digits, _ or - (as in {{ secret = "NAME" }})'
        )
    return name


def state_dir(workspace_path: str | Path) -> Path:
    """``.runbench`` beside the workspace, made (0700, with its ``.gitignore``) if missing."""
    return private_folder(secrets_file(workspace_path).parent)


def secret_names(workspace_path: str | Path) -> tuple[set[str], str | None]:
    """The names in the secrets file and, when it cannot be used, why (never a value)."""
    path = secrets_file(workspace_path)
    if not path.exists():
        return set(), None
    try:
        return set(read_secrets_file(path)), None
    except SecretError as exc:
        return set(), str(exc)


def _raw(path: Path) -> tuple[str, dict[str, object]]:
    try:
        text = read_capped_text(path, MAX_SECRETS_BYTES)
    except FileNotFoundError:
        return "", {}
    except FileTooLargeError as exc:
        raise SecretError(f"cannot read {path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"cannot read {path}: {type(exc).__name__}") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise SecretError(f"cannot read {path}: it is not valid TOML; fix it by hand") from None


def _quoted(value: str) -> str:
    """A TOML basic string (control characters escaped: the line stays one line)."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _line_of(name: str, lines: list[str]) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
    return next((i for i, line in enumerate(lines) if pattern.match(line)), None)


def _write(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=".secrets.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _rewritten(data: dict[str, object]) -> str:
    return "".join(f"{key} = {_quoted(str(value))}\n" for key, value in data.items())


def set_secret(workspace_path: str | Path, name: str, value: str) -> Path:
    """Add or replace secret ``name``; returns the file written (mode 0600)."""
    check_name(name)
    state_dir(workspace_path)
    path = secrets_file(workspace_path)
    text, data = _raw(path)
    lines = text.splitlines()
    line = f"{name} = {_quoted(value)}"
    found = _line_of(name, lines)
    if found is None:
        lines.append(line)
    else:
        lines[found] = line
    new = "\n".join(lines) + "\n"
    wanted = {**data, name: value}
    try:
        ok = tomllib.loads(new) == wanted
    except tomllib.TOMLDecodeError:
        ok = False
    _write(path, new if ok else _rewritten(wanted))
    return path


def remove_secret(workspace_path: str | Path, name: str) -> bool:
    """Remove secret ``name``; False when it was not there."""
    path = secrets_file(workspace_path)
    text, data = _raw(path)
    if name not in data:
        return False
    lines = text.splitlines()
    found = _line_of(name, lines)
    del data[name]
    new = ""
    if found is not None:
        del lines[found]
        new = "\n".join(lines) + ("\n" if lines else "")
    try:
        ok = found is not None and tomllib.loads(new) == data
    except tomllib.TOMLDecodeError:
        ok = False
    _write(path, new if ok else _rewritten(data))
    return True


__all__ = ["check_name", "remove_secret", "secret_names", "set_secret", "state_dir"]
