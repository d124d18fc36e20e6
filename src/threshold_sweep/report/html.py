"""HTML pages from a Document (Jinja2, autoescaped); writes a run's report.html."""

from __future__ import annotations

import functools
import math
import numbers
import re
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup, escape

from threshold_sweep.evaluate.names import (
    BASELINE_NAMES,
    METRIC_LABELS,
    no_skill_level,
    no_skill_source,
)
from threshold_sweep.evaluate.result import RunResult
from threshold_sweep.evaluate.task import Task
from threshold_sweep.io import write_text
from threshold_sweep.layout import REPORT_HTML, REPORT_MD
from threshold_sweep.report.document import (
    Block,
    Bullets,
    Code,
    Document,
    Image,
    Table,
    href,
    to_markdown,
)
from threshold_sweep.report.tables import fmt

TEMPLATES = Path(__file__).parent / "templates"
WIDE_PIXELS = 700  # a picture wider than this (a many-class heatmap) gets a row of its own
LEADING_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(?=\s|$)")


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment: package templates, HTML autoescaping, strict undefined."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inline"] = inline_markup
    env.filters["breakable"] = breakable
    return env


def breakable(text: str) -> Markup:
    """Escape text; let the browser break long names after _ , / and a . before a letter."""
    return Markup(re.sub(r"([_,/]|\.(?=[A-Za-z]))", r"\1<wbr>", str(escape(text))))


def inline_markup(text: str) -> Markup:
    """Escape text, then turn its **bold** and `code` spans into tags."""
    html = str(escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html, flags=re.DOTALL)
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", html))


def sort_value(raw: Any) -> float | None:
    """The number a cell sorts by: the value itself, or the number its text starts with."""
    if isinstance(raw, bool | np.bool_):
        return None
    if isinstance(raw, numbers.Real):
        return float(raw) if math.isfinite(raw) else None
    match = LEADING_NUMBER.match(str(raw))
    return float(match.group(0)) if match else None


def table_context(table: Table) -> dict[str, Any]:
    """Header and rows of cells (text, sort value, link, tooltip) for the table macro."""
    frame = table.frame.reset_index(drop=True)
    values = table.values.reset_index(drop=True) if table.values is not None else None
    rows = []
    for index in range(len(frame)):
        cells = []
        for column in frame.columns:
            raw = frame.at[index, column]
            raw = raw.item() if isinstance(raw, np.generic) else raw  # numpy bool -> bool
            source = values if values is not None and column in values else frame
            value = sort_value(source.at[index, column])
            numeric = value is not None or (isinstance(raw, float) and math.isnan(raw))
            link = table.links.get(column, [None] * len(frame))[index]
            title = table.titles.get(column, [None] * len(frame))[index]
            cells.append(
                {
                    "text": fmt(raw),
                    "value": value,
                    "numeric": numeric,
                    "href": link and href(link),
                    "title": title,
                }
            )
        rows.append(cells)
    return {"columns": [str(c) for c in frame.columns], "rows": rows, "sortable": table.sortable}


def png_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG file from its header (None if it is not a readable PNG)."""
    try:
        with open(path, "rb") as file:
            header = file.read(24)
    except OSError:
        return None
    if len(header) < 24 or header[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def image_context(image: Image, base: Path) -> dict[str, Any]:
    """An image with its size (wide or large pictures get a whole row of the figure grid)."""
    size = png_size(base / image.path)
    return {
        "kind": "image",
        "caption": image.caption,
        "src": href(image.path),
        "width": size and size[0],
        "height": size and size[1],
        "wide": bool(size and (size[0] > 1.6 * size[1] or size[0] > WIDE_PIXELS)),
    }


def block_context(block: Block, base: Path) -> dict[str, Any]:
    """A block as the template's blocks macro expects it (`base`: the page's folder)."""
    if isinstance(block, str):
        return {"kind": "text", "paragraphs": [p for p in block.split("\n\n") if p.strip()]}
    if isinstance(block, Table):
        return {"kind": "table", **table_context(block)}
    if isinstance(block, Bullets):
        return {"kind": "bullets", "items": block.items, "warning": block.warning}
    if isinstance(block, Image):
        return image_context(block, base)
    assert isinstance(block, Code)
    return {"kind": "code", "text": block.text.rstrip(), "language": block.language}


def document_context(document: Document, base: Path) -> dict[str, Any]:
    """Title, intro and sections (with anchors) of a Document, for a page in folder `base`."""
    sections = [
        {
            "title": section.title,
            "anchor": re.sub(r"[^a-z0-9]+", "-", section.title.lower()).strip("-"),
            "blocks": [block_context(block, base) for block in section.blocks],
        }
        for section in document.sections
    ]
    intro = [block_context(block, base) for block in document.intro]
    return {"title": document.title, "intro": intro, "sections": sections}


def render(template: str, **context: Any) -> str:
    """Render one of the package templates."""
    return environment().get_template(template).render(**context)


def headline(result: RunResult) -> list[dict[str, Any]]:
    """The test metrics shown first: value, CI and no-skill level, straight from metrics."""
    chance = result["chance"]["test"]
    cards = []
    for metric in Task.of(result).cards:
        ci = result["ci"]["test"].get(metric)
        cards.append(
            {
                "metric": metric,
                "label": METRIC_LABELS.get(metric, metric),
                "value": result["test"][metric],
                "text": fmt(result["test"][metric]),
                "ci": f"{fmt(ci[0])} – {fmt(ci[1])}" if ci else None,
                "no_skill": fmt(no_skill_level(metric, chance)),
                "no_skill_by": BASELINE_NAMES[no_skill_source(metric, chance)],
            }
        )
    return cards


def write_run_html(
    out_dir: Path, document: Document, result: RunResult, index_link: str | None
) -> Path:
    """Write report.html of a run; `index_link` leads back to its sweep's index.html."""
    prevalence = result["prevalence"]["test"]
    text = render(
        "run.html.j2",
        **document_context(document, Path(out_dir)),
        run_name=Path(out_dir).name,
        index_link=index_link and href(index_link),
        headline=headline(result),
        prevalence=fmt(prevalence) if Task.of(result).binary else None,
        n_test=result["test"]["n"],
        warnings=len(result["warnings"]),
    )
    return write_text(Path(out_dir) / REPORT_HTML, text)


def write_run_pages(
    out_dir: Path, document: Document, result: RunResult, index_link: str | None
) -> Path:
    """Write report.html, then report.md, of a run from its Document; return report.md."""
    write_run_html(out_dir, document, result, index_link)
    return write_text(Path(out_dir) / REPORT_MD, to_markdown(document))
