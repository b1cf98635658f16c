"""JUnit XML, the test report format GitLab, Jenkins and GitHub Actions all read.

CI systems show a pipeline's tests from one XML file: ``<testsuites>`` holding one
``<testsuite>`` per group, one ``<testcase>`` per test with its time, a ``<failure>``
(the test ran and did not pass) or an ``<error>`` (it could not run), and its output in
``<system-out>``. Only the elements and attributes of the common JUnit schema (the one
Jenkins validates against) are written, so every reader accepts it. Built with
ElementTree, so every text is escaped; callers pass text that is already redacted.
"""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Case:
    """One test: ``failures`` when it ran and did not pass, ``error`` when it could not run."""

    name: str
    classname: str
    seconds: float
    failures: tuple[str, ...] = ()
    error: str | None = None
    output: str = ""

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


@dataclass(frozen=True)
class Suite:
    name: str
    cases: Sequence[Case]
    started: float = field(default_factory=time.time)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def junit_xml(suites: Sequence[Suite], *, name: str = "runbench") -> str:
    """The report as text (UTF-8 XML with its declaration)."""
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for number, suite in enumerate(suites):
        failures = sum(1 for c in suite.cases if c.failures and c.error is None)
        errors = sum(1 for c in suite.cases if c.error is not None)
        seconds = sum(c.seconds for c in suite.cases)
        element = ET.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(suite.cases)),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
            time=_seconds(seconds),
            timestamp=datetime.fromtimestamp(suite.started, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            hostname=socket.gethostname() or "localhost",
            id=str(number),
        )
        for case in suite.cases:
            _case(element, case)
        totals["tests"] += len(suite.cases)
        totals["failures"] += failures
        totals["errors"] += errors
        total_time += seconds
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(total_time))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _case(parent: ET.Element, case: Case) -> None:
    element = ET.SubElement(
        parent, "testcase", name=case.name, classname=case.classname, time=_seconds(case.seconds)
    )
    if case.error is not None:
        error = ET.SubElement(element, "error", message=_first_line(case.error), type="error")
        error.text = case.error
    elif case.failures:
        failure = ET.SubElement(
            element, "failure", message=_first_line(case.failures[0]), type="failure"
        )
        failure.text = "\n".join(case.failures)
    if case.output:
        ET.SubElement(element, "system-out").text = case.output


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= 200 else line[:199] + "…"


def write_junit(path: str | Path, suites: Sequence[Suite], *, name: str = "runbench") -> None:
    """Write the report to ``path`` (the folder must exist)."""
    Path(path).write_text(junit_xml(suites, name=name), encoding="utf-8")


__all__ = ["Case", "Suite", "junit_xml", "write_junit"]
