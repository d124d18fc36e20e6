"""A report as data (sections of text, tables, lists, images, code), rendered to Markdown.

report.md / summary.md and report.html / index.html are rendered from the same Document, so
both show the same tables built once from the same DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from threshold_sweep.report.tables import markdown_table


@dataclass
class Table:
    """A DataFrame shown as a table; `values` (same rows) holds raw numbers to sort by."""

    frame: pd.DataFrame
    values: pd.DataFrame | None = None
    links: dict[str, list[str | None]] = field(default_factory=dict)  # column -> href per row
    sortable: bool = False


@dataclass
class Bullets:
    """A bulleted list; `warning` marks every item as a warning."""

    items: list[str]
    warning: bool = False


@dataclass
class Image:
    """A picture, `path` relative to the page."""

    caption: str
    path: str


@dataclass
class Code:
    """A verbatim block (the config as YAML)."""

    text: str
    language: str = ""


# A plain string is a paragraph with **bold** and `code` spans.
Block = str | Table | Bullets | Image | Code


@dataclass
class Section:
    """A titled part of a report."""

    title: str
    blocks: list[Block]


@dataclass
class Document:
    """A whole report: title, opening paragraphs and sections."""

    title: str
    intro: list[Block]
    sections: list[Section]


def warnings_section(warnings: list[str], none: str) -> Section:
    """'Warnings': the run's warnings, or `none` when no check fired."""
    return Section("Warnings", [Bullets(warnings, warning=True) if warnings else none])


def block_markdown(block: Block) -> str:
    """One block as Markdown."""
    if isinstance(block, str):
        return block
    if isinstance(block, Table):
        return markdown_table(block.frame)
    if isinstance(block, Bullets):
        prefix = "**Warning:** " if block.warning else ""
        return "\n".join(f"- {prefix}{item}" for item in block.items)
    if isinstance(block, Image):
        return f"![{block.caption}]({block.path})"
    return f"```{block.language}\n{block.text.rstrip()}\n```"


def to_markdown(document: Document) -> str:
    """The whole document as Markdown (title, intro, '## ' sections)."""
    parts = [f"# {document.title}", *map(block_markdown, document.intro)]
    for section in document.sections:
        parts += [f"## {section.title}", *map(block_markdown, section.blocks)]
    return "\n\n".join(parts) + "\n"
