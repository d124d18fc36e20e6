"""A report as data (sections of text, tables, lists, images, code), rendered to Markdown.

report.md / summary.md and report.html / index.html are rendered from the same Document, so
both show the same tables built once from the same DataFrames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from threshold_sweep.report.tables import fmt, markdown_table


@dataclass
class Table:
    """A DataFrame shown as a table; `values` (same rows) holds raw numbers to sort by.

    `links` (column -> href per row) link cells of the HTML page; Markdown links them to
    `markdown_links` instead where given (a run's report.md rather than its report.html).
    `titles` (column -> text per row) are the cells' tooltips in HTML, e.g. a run's folder
    behind its short name."""

    frame: pd.DataFrame
    values: pd.DataFrame | None = None
    links: dict[str, list[str | None]] = field(default_factory=dict)
    sortable: bool = False
    titles: dict[str, list[str | None]] = field(default_factory=dict)
    markdown_links: dict[str, list[str | None]] | None = None


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


def href(path: str) -> str:
    """A relative link to `path` (a file path with / separators), safe in a URL."""
    return quote(path, safe="/=,")


def markdown_link(text: str, target: str) -> str:
    """`[text](target)`, the brackets and backslashes of the text escaped."""
    return "[" + re.sub(r"([][\\])", r"\\\1", text) + "](" + href(target) + ")"


def _linked_frame(table: Table) -> pd.DataFrame:
    """The table's frame with its linked cells as Markdown links."""
    links = table.links if table.markdown_links is None else table.markdown_links
    frame = table.frame.reset_index(drop=True).copy()
    for column, targets in links.items():
        frame[column] = [
            markdown_link(fmt(value), target) if target else value
            for value, target in zip(frame[column], targets, strict=True)
        ]
    return frame


def block_markdown(block: Block) -> str:
    """One block as Markdown."""
    if isinstance(block, str):
        return block
    if isinstance(block, Table):
        return markdown_table(_linked_frame(block))
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
