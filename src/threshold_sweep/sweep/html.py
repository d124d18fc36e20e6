"""index.html of a sweep folder: the summary Document as a page with sortable tables."""

from __future__ import annotations

from pathlib import Path

from threshold_sweep.io import write_text
from threshold_sweep.layout import INDEX_HTML, SUMMARY_MD
from threshold_sweep.report.document import Document, to_markdown
from threshold_sweep.report.html import document_context, render


def write_sweep_index(root: Path, document: Document) -> Path:
    """Write index.html beside summary.md; runs link to their report.html or error.txt."""
    root = Path(root)
    text = render(
        "index.html.j2", **document_context(document, root), root_name=root.resolve().name
    )
    return write_text(root / INDEX_HTML, text)


def write_sweep_pages(root: Path, document: Document) -> Path:
    """Write index.html, then summary.md, of a sweep from its Document; return summary.md."""
    write_sweep_index(root, document)
    return write_text(Path(root) / SUMMARY_MD, to_markdown(document))
