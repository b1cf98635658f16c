"""Test outcomes for people and CI: expectations of a method, and JUnit XML reports.

Import from here: ``unmet(method, exchange)`` lists what a test did not meet;
``Suite``/``Case`` and ``junit_xml``/``write_junit`` write a JUnit report.
"""

from runbench.core.reports._expect import unmet
from runbench.core.reports._junit import Case, Suite, junit_xml, write_junit

__all__ = ["Case", "Suite", "junit_xml", "unmet", "write_junit"]
