"""runbench: a terminal workbench for HTTP custom integrations and runbooks."""

__version__ = "0.1.0"
