"""The human-readable run report of any task: report.md, report.html and the plots they show."""

from threshold_sweep.report.run_page.document import run_document, write_run_report

__all__ = ["run_document", "write_run_report"]
