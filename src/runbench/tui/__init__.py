"""The runbench workbench (Textual). A thin shell over ``runbench.core``: it edits the
workspace document, calls the same Executor as the CLI and shows what comes back.

Import ``runbench.tui.app.RunbenchApp``; this package's ``__init__`` stays empty so that
importing a submodule (e.g. for tests) does not load the whole app.
"""
