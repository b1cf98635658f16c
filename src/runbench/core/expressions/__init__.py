"""Halo's expression language: output paths (``response^items[id=3]^name!``) and
``<<variable>>`` templates.

Import from here: ``compile_path``/``CompiledPath`` evaluate a path against a document;
``parse_template``/``Template`` render a template in a ``Context`` (JSON-, URL- or
text-aware). The path grammar's steps live in a private module of their own.
"""

from runbench.core.expressions._cache import TemplateCache
from runbench.core.expressions._paths import (
    OUTPUT_ROOTS,
    CompiledPath,
    compile_path,
    evaluate_text,
)
from runbench.core.expressions._templates import (
    LITERAL_OPEN,
    Context,
    Template,
    VarRef,
    parse_template,
)
from runbench.core.expressions._values import render, stored_value, to_json, to_text

__all__ = [
    "TemplateCache",
    "CompiledPath",
    "Context",
    "LITERAL_OPEN",
    "OUTPUT_ROOTS",
    "Template",
    "VarRef",
    "compile_path",
    "evaluate_text",
    "parse_template",
    "render",
    "stored_value",
    "to_json",
    "to_text",
]
