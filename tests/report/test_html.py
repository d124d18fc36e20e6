"""report.html and index.html: same numbers as metrics.json, escaped, and sound in a browser.

The browser tests open the pages of a real tiny sweep from disk in headless Chromium (Debian
packages chromium and chromium-driver). Without them they skip, except under CI (CI=true),
where they fail: CI must never skip them silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlparse
from urllib.request import url2pathname

import pandas as pd
import pytest
import yaml
from markupsafe import escape

from conftest import ROOT, run_dir

ARTIFACTS = ROOT / "outputs" / "test-artifacts"
XSS = "<script>alert(1)</script>"
VERBATIM = ("pre", "code", "script", "style")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


class PageParser(HTMLParser):
    """Collects links, images, headline cards, table cells (text, data-value, title) and the
    page's text outside code blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.cards: dict[str, float] = {}
        self.tables: list[list[list[tuple[str, str | None, str | None]]]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []  # outside <pre>, <code>, <script> and <style>
        self._card: str | None = None
        self._cell: list[str] | None = None
        self._value: str | None = None
        self._title: str | None = None
        self._verbatim = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the attributes this test reads."""
        a = dict(attrs)
        if tag in VERBATIM:
            self._verbatim += 1
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "img":
            self.images.append(a["src"])
        elif tag == "div" and a.get("data-metric"):
            self._card = a["data-metric"]
        elif tag == "div" and self._card and "data-value" in a:
            self.cards[self._card] = float(a["data-value"])
            self._card = None
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._value, self._title = [], a.get("data-value"), a.get("title")

    def handle_endtag(self, tag: str) -> None:
        """Close a table cell or a code block."""
        if tag in VERBATIM:
            self._verbatim -= 1
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(("".join(self._cell).strip(), self._value, self._title))
            self._cell = None

    def handle_data(self, data: str) -> None:
        """Collect the text of a table cell, and of the page outside code."""
        if self._cell is not None:
            self._cell.append(data)
        if not self._verbatim:
            self.text.append(data)


def parse(page: Path) -> PageParser:
    """The parsed page."""
    parser = PageParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def table_with(parser: PageParser, header: list[str], part: int = 0) -> pd.DataFrame:
    """The first table whose header starts with `header`, as text cells (part=2: the cells'
    title attributes)."""
    for table in parser.tables:
        names = [cell[0] for cell in table[0]]
        if names[: len(header)] == header:
            return pd.DataFrame([[cell[part] for cell in row] for row in table[1:]], columns=names)
    raise AssertionError(f"no table with header {header}")


def local_target(page: Path, link: str) -> Path | None:
    """The file a relative link of `page` points to (None for anchors and absolute URLs)."""
    parsed = urlparse(link)
    if parsed.scheme or link.startswith("#"):
        return None
    return page.parent / unquote(parsed.path)


def completed_runs(sweep_dir: Path) -> list[Path]:
    """The run folders of the sweep that finished."""
    return sorted(path.parent for path in sweep_dir.glob("*/metrics.json"))


@pytest.mark.slow
@pytest.mark.parametrize("threshold", [100, 1000])
def test_run_page_shows_the_numbers_of_metrics_json(sweep, threshold):
    folder = run_dir(sweep[0], threshold)
    result = json.loads((folder / "metrics.json").read_text())
    page = parse(folder / "report.html")
    for metric in ("roc_auc", "balanced_accuracy", "mcc", "f1", "accuracy"):
        assert page.cards[metric] == result["test"][metric], metric
    metrics = table_with(page, ["metric", "test", "95% CI"]).set_index("metric")
    for metric in ("roc_auc", "average_precision", "brier"):
        assert metrics.loc[metric, "test"] == f"{result['test'][metric]:.3f}"
        low, high = result["ci"]["test"][metric]
        assert metrics.loc[metric, "95% CI"] == f"{low:.3f}-{high:.3f}"
        assert (
            metrics.loc[metric, "majority"] == f"{result['chance']['test']['majority'][metric]:.3f}"
        )
        assert metrics.loc[metric, "skill"] == f"{result['skill']['test'][metric]:.3f}"
    counts = table_with(page, ["split", "low (natural)"]).set_index("split")
    assert counts.loc["test", "high (natural)"] == str(result["class_counts"]["test"]["high"])
    assert "../index.html" in page.links  # the run lives in a sweep
    assert sorted(page.images) == sorted(f"plots/{p.name}" for p in (folder / "plots").iterdir())
    text = (folder / "report.html").read_text()
    assert '<pre class="code"><code class="language-yaml">seed: 0' in text  # resolved config
    for warning in result["warnings"]:
        assert str(escape(warning)) in text


@pytest.mark.slow
def test_three_class_run_page(three_class_run):
    folder, done = three_class_run
    assert done.returncode == 0, done.stderr
    result = json.loads((folder / "metrics.json").read_text())
    page = parse(folder / "report.html")
    assert page.cards["roc_auc_ovr"] == result["test"]["roc_auc_ovr"]
    per_class = table_with(page, ["class"]).set_index("class")
    assert list(per_class.index) == result["label_names"]
    assert not [link for link in page.links if "index.html" in link]  # not part of a sweep
    plots = ("confusion_matrix", "confusion_matrix_normalized", "class_balance")
    plots += ("per_class_recall", "error_steps", "training_curves")
    assert {f"plots/{name}.png" for name in plots} == set(page.images)


@pytest.mark.slow
def test_index_links_every_run_and_failure(sweep):
    sweep_dir = sweep[0]
    page = parse(sweep_dir / "index.html")
    for folder in completed_runs(sweep_dir):
        assert any(
            link.endswith("/report.html") and unquote(link).startswith(folder.name)
            for link in page.links
        ), folder
    failed = [path.parent for path in sweep_dir.glob("*/error.txt")]
    assert len(failed) == 2
    for folder in failed:
        assert f"{folder.name}/error.txt" in map(unquote, page.links)
    for link in page.links:
        target = local_target(sweep_dir / "index.html", link)
        assert target is None or target.exists(), link
    runs = table_with(page, ["run"])
    folders = table_with(page, ["run"], part=2)["run"]
    summary = pd.read_csv(sweep_dir / "summary.csv", dtype={"label.threshold": str})
    complete = summary[summary["status"] == "complete"].set_index("run")
    assert sorted(folders) == sorted(complete.index)  # summary.csv keeps the folder names
    for folder, (_, row) in zip(folders, runs.iterrows(), strict=True):
        # the short name: the values of what varies, the columns beside it naming the keys
        assert row["run"] == f"{row['label.threshold']} · {row['train.seed']}"
        assert row["mcc"] == f"{complete.loc[folder, 'test_mcc']:.3f}"
        assert f"{quote(folder, safe='/=,')}/report.html" in page.links
    failed = table_with(page, ["run", "error"])
    huge = "threshold=1000000000.0"  # Hydra writes 1e9 so
    assert set(failed["run"]) == {f"{huge} · seed=0", f"{huge} · seed=1"}
    paired = table_with(page, ["first", "second"])
    assert set(paired["first"]) | set(paired["second"]) <= {
        f"threshold={t} · seed={s}" for t in (100, 1000) for s in (0, 1)
    }
    assert "summary_metrics.png" in page.images
    assert {"insights", "runs", "comparable-metrics", "paired-comparisons"} <= page.ids


@pytest.mark.slow
def test_data_and_configs_are_escaped(sweep, tmp_path):
    from threshold_sweep.evaluate.names import PREVALENCE_DEPENDENT
    from threshold_sweep.report.html import write_run_html
    from threshold_sweep.report.run_page import run_document
    from threshold_sweep.sweep.build import build_summary, write_summary_markdown

    source = run_dir(sweep[0], 100)
    result = json.loads((source / "metrics.json").read_text())
    result["label_names"] = ["low", XSS]
    for key in ("class_counts", "class_counts_after_sampling"):
        for counts in result[key].values():
            counts[XSS] = counts.pop("high")
    result["warnings"] = [*result["warnings"], f"a warning with {XSS}"]
    document = run_document(result, [("ROC", "plots/roc.png")], f"label:\n  names: ['{XSS}']\n")
    page = write_run_html(tmp_path / "run", document, result, index_link=None).read_text()
    copy = tmp_path / "sweep"
    shutil.copytree(sweep[0], copy)
    evil = "x<img src=x onerror=alert(2)>"
    run_dir(copy, 1000, seed=1).rename(copy / evil)
    # an override value that varies becomes part of the run's short name, shown everywhere
    value = "<b onmouseover=alert(3)>v"
    overrides = copy / evil / ".hydra" / "overrides.yaml"
    overrides.write_text(yaml.safe_dump([*yaml.safe_load(overrides.read_text()), f"+v={value}"]))
    summary = build_summary(copy)
    summary.insight_groups.setdefault("Caveats", []).append(f"an insight with {XSS}")
    write_summary_markdown(copy, summary, PREVALENCE_DEPENDENT)
    index = (copy / "index.html").read_text()
    for text in (page, index):
        assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img src=x" not in index and "<b onmouseover" not in index
    assert 'href="x%3Cimg%20src=x%20onerror=alert%282%29%3E/report.html"' in index
    # the folder behind its short name is an escaped tooltip, the name escaped text
    assert 'title="x&lt;img src=x onerror=alert(2)&gt;"' in index
    assert "1000 · 1 · &lt;b onmouseover=alert(3)&gt;v" in index  # Runs table
    assert f"threshold=1000 · seed=1 · v={escape(value)}" in index  # paired comparisons
    parsed = parse(copy / "index.html")
    runs = table_with(parsed, ["run"])
    titles = table_with(parsed, ["run"], part=2)["run"].tolist()
    assert runs["run"][titles.index(evil)] == f"1000 · 1 · {value}"  # shown as the literal text
    assert evil in pd.read_csv(copy / "summary.csv")["run"].tolist()  # the folder, unchanged


# --- in a real browser ---------------------------------------------------------------------


def _missing(reason: str) -> None:
    """Skip locally; fail under CI, where the browser tests must run."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI is set: the browser tests must not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Selenium through the Debian chromedriver."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        _missing("chromium / chromedriver not found (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _check_page(driver, page: Path) -> None:
    """Open `page` from disk: no console errors, every image drawn, every local link there."""
    driver.get(page.resolve().as_uri())
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, (page, errors)
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.src, i.complete, i.naturalWidth]);"
    )
    assert images
    for src, complete, width in images:
        assert complete and width > 0, (page, src)
    links = driver.execute_script(
        "return Array.from(document.links).map(a => a.getAttribute('href'));"
    )
    for link in links:
        if link.startswith("#"):
            assert driver.find_elements("id", link[1:]), (page, link)
            continue
        assert not urlparse(link).scheme, (page, link)  # nothing leaves the disk
        target = Path(url2pathname(urlparse(page.resolve().as_uri()).path)).parent
        assert (target / unquote(urlparse(link).path)).exists(), (page, link)


@pytest.mark.slow
def test_pages_open_cleanly_in_chromium(browser, sweep, three_class_run):
    sweep_dir = sweep[0]
    pages = [
        sweep_dir / "index.html",
        *(folder / "report.html" for folder in completed_runs(sweep_dir)),
        three_class_run[0] / "report.html",
    ]
    for page in pages:
        _check_page(browser, page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "index.html.png": sweep_dir / "index.html",
        "report.html.png": run_dir(sweep_dir, 1000) / "report.html",
        "report-three-classes.html.png": three_class_run[0] / "report.html",
    }
    for name, page in shots.items():
        browser.get(page.resolve().as_uri())
        height = browser.execute_script("return document.documentElement.scrollHeight;")
        browser.set_window_size(1400, min(height, 8000))
        assert browser.save_screenshot(str(ARTIFACTS / name))
        assert (ARTIFACTS / name).stat().st_size > 20_000
    browser.set_window_size(1400, 1000)


@pytest.mark.slow
def test_back_link_leads_to_the_sweep_index(browser, sweep):
    browser.get((run_dir(sweep[0], 100, seed=1) / "report.html").resolve().as_uri())
    browser.find_element("id", "back-to-sweep").click()
    assert browser.current_url == (sweep[0] / "index.html").resolve().as_uri()
    assert browser.title.startswith("Sweep summary")


def _column(table, index: int) -> list[tuple[str, float | None]]:
    """(run folder, data-value) of every body row, in the order shown."""
    rows = []
    for row in table.find_elements("css selector", "tbody tr"):
        cells = row.find_elements("tag name", "td")
        value = cells[index].get_attribute("data-value")
        rows.append((cells[0].get_attribute("title"), float(value) if value else None))
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("column", ["roc_auc", "mcc", "label.threshold"])
def test_runs_table_sorts_by_a_column(browser, sweep, column):
    browser.get((sweep[0] / "index.html").resolve().as_uri())
    table = browser.find_element("css selector", "#runs table.sortable")
    headers = table.find_elements("css selector", "thead th")
    names = [h.text.replace("\n", "").rstrip("↕▲▼ ") for h in headers]
    index = names.index(column)
    shown = _column(table, index)
    summary = pd.read_csv(sweep[0] / "summary.csv", float_precision="round_trip")
    assert len(shown) == (summary["status"] == "complete").sum()
    for direction, reverse in (("ascending", False), ("descending", True)):
        headers[index].click()
        assert headers[index].get_attribute("aria-sort") == direction
        expected = sorted(shown, key=lambda row: row[1], reverse=reverse)
        assert _column(table, index) == expected
        shown = expected
    key = {"label.threshold": "threshold"}.get(column, f"test_{column}")
    python = summary[summary["status"] == "complete"].set_index("run")[key]
    assert [value for _, value in shown] == sorted(python, reverse=True)
    assert all(python[run] == value for run, value in shown)


def test_sorting_puts_blanks_last_and_orders_text_naturally(browser, tmp_path):
    from threshold_sweep.report.document import Document, Section, Table
    from threshold_sweep.sweep.html import write_sweep_index

    frame = pd.DataFrame(
        {
            "name": ["run 10", "run 9", "", "run 100"],
            "value": [0.5, float("nan"), -2.0, 10.0],
            "text": ["0.3 [0.1, 0.5]", "n/a", "1e-3", "2.5 (n=2)"],
        }
    )
    document = Document("Sorting", [], [Section("Table", [Table(frame, sortable=True)])])
    page = write_sweep_index(tmp_path, document)
    browser.get(page.resolve().as_uri())
    headers = browser.find_elements("css selector", "table.sortable thead th")

    def column(index: int) -> list[str]:
        rows = browser.find_elements("css selector", "table.sortable tbody tr")
        return [row.find_elements("tag name", "td")[index].text for row in rows]

    expected = {
        0: (["run 9", "run 10", "run 100", ""], ["run 100", "run 10", "run 9", ""]),
        1: (["-2", "0.500", "10", "n/a"], ["10", "0.500", "-2", "n/a"]),
        2: (
            ["1e-3", "0.3 [0.1, 0.5]", "2.5 (n=2)", "n/a"],
            ["2.5 (n=2)", "0.3 [0.1, 0.5]", "1e-3", "n/a"],
        ),
    }
    for index, (ascending, descending) in expected.items():
        headers[index].click()
        assert column(index) == ascending
        assert headers[index].get_attribute("aria-sort") == "ascending"
        headers[index].click()
        assert column(index) == descending
    assert [h.get_attribute("aria-sort") for h in headers] == ["none", "none", "descending"]


@pytest.mark.slow
def test_a_narrow_window_scrolls_only_inside_wide_tables(browser, sweep):
    """At phone width the page itself never scrolls sideways; wide tables scroll in their box."""
    browser.set_window_size(420, 900)
    try:
        for page in (sweep[0] / "index.html", run_dir(sweep[0], 1000) / "report.html"):
            browser.get(page.resolve().as_uri())
            widths = browser.execute_script(
                """const page = document.documentElement;
                const wide = [...document.querySelectorAll('header, nav, section, footer')]
                  .filter(el => el.scrollWidth > el.clientWidth + 1 && !el.closest('.table-wrap'))
                  .map(el => el.tagName + ' ' + (el.id || el.textContent.slice(0, 30)));
                return [page.scrollWidth, page.clientWidth, wide];"""
            )
            assert widths[0] <= widths[1], f"{page.name} scrolls sideways: {widths}"
    finally:
        browser.set_window_size(1400, 1000)


_N = r"[-+]?\d+\.\d{3}"
# a value, '± sd', '[CI]', '(n=count)', '(no skill value)': every number with three decimals
NUMBER_CELL = rf"{_N}( ± {_N})?( \[{_N}, {_N}\])?( \(n=\d+\))?( \(no skill {_N}\))?"


def _number_formats(text: str) -> set[str]:
    """The decimal numbers of `text` whose number of decimals is not three."""
    numbers = re.finditer(r"(?<![\w.])[-+]?\d+\.(\d+)(?![\d%]|\.\d|\w)", text)
    return {match.group(0) for match in numbers if len(match.group(1)) != 3}


@pytest.mark.slow
def test_pages_show_every_number_with_three_decimals(sweep):
    """Metrics, CIs, prevalences and differences: three decimals on every page, in cards,
    tables and sentences alike; only settings (the cutoff, evaluate.max_gap, the overrides)
    and a failed run's error message show numbers as they were given."""
    sweep_dir = sweep[0]
    folder = run_dir(sweep_dir, 1000)
    result = json.loads((folder / "metrics.json").read_text())
    settings = {f"{result['cutoff']:g}", f"{result['overfitting_max_gap']:g}"}
    runs = pd.read_csv(sweep_dir / "summary.csv", dtype=str)
    settings |= set(runs["label.threshold"]) | _number_formats(" ".join(runs["error"].dropna()))
    for page in (folder / "report.html", sweep_dir / "index.html"):
        parsed = parse(page)
        text = " ".join(parsed.text)
        assert len(re.findall(r"\d\.\d{3}(?!\d)", text)) > 50, page.name
        assert _number_formats(text) <= settings, (page.name, _number_formats(text))
        for table in parsed.tables:
            for row in table[1:]:
                for cell, value, _ in row:
                    if value is not None and "." in cell:  # a numeric cell with decimals
                        assert re.fullmatch(NUMBER_CELL, cell), (page.name, cell)
    cards = parse(folder / "report.html").cards
    assert cards and all(value == result["test"][metric] for metric, value in cards.items())
    html = (folder / "report.html").read_text()
    assert re.findall(r'<div class="value"[^>]*>(-?\d\.\d+)<', html) == [
        f"{result['test'][metric]:.3f}" for metric in cards
    ]


def _card_layout(driver, page: Path, width: int) -> dict:
    """The page at `width` px: card rectangles, the viewport and the page's scroll width."""
    driver.set_window_size(width, 900)
    driver.get(page.resolve().as_uri())
    return driver.execute_script(
        """const cards = [...document.querySelectorAll('#headline .card')];
        return {tops: cards.map(c => c.offsetTop),
                rights: cards.map(c => c.getBoundingClientRect().right),
                viewport: document.documentElement.clientWidth,
                scroll: document.documentElement.scrollWidth};"""
    )


@pytest.mark.slow
def test_run_cards_share_one_row_at_1280_px_and_stack_at_420(browser, sweep, three_class_run):
    # binary: 6 metric cards; 3 ordered classes: 5 and MAE (class steps), QWK; + warnings
    pages = {run_dir(sweep[0], 1000) / "report.html": 7, three_class_run[0] / "report.html": 8}
    try:
        for page, count in pages.items():
            wide = _card_layout(browser, page, 1280)
            assert len(wide["tops"]) == count, page  # the metric cards and the warnings card
            assert len(set(wide["tops"])) == 1, f"cards wrap at 1280 px: {wide['tops']}"
            narrow = _card_layout(browser, page, 420)
            assert narrow["scroll"] <= narrow["viewport"], f"{page} scrolls sideways: {narrow}"
            assert max(narrow["rights"]) <= narrow["viewport"], narrow
            rows = sorted(set(narrow["tops"]))
            assert 2 <= len(rows) <= 4, narrow  # stacked, two or more cards a row
        index = sweep[0] / "index.html"
        browser.get(index.resolve().as_uri())
        width = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width[0] <= width[1], f"index.html scrolls sideways at 420 px: {width}"
    finally:
        browser.set_window_size(1400, 1000)


@pytest.mark.slow
def test_runs_are_named_short_on_one_line_with_their_folder_as_tooltip(browser, sweep):
    browser.set_window_size(1280, 900)
    try:
        browser.get((sweep[0] / "index.html").resolve().as_uri())
        cells = browser.execute_script(
            """return [...document.querySelectorAll('#runs tbody td:first-child')].map(td => {
                const link = td.querySelector('a');
                return [td.title, link.getAttribute('href'), link.textContent,
                        link.getClientRects().length];
            });"""
        )
        wrap = browser.execute_script(
            "const w = document.querySelector('#runs .table-wrap');"
            "return [w.scrollWidth, w.clientWidth];"
        )
    finally:
        browser.set_window_size(1400, 1000)
    summary = pd.read_csv(sweep[0] / "summary.csv", dtype=str)
    complete = summary[summary["status"] == "complete"].set_index("run")
    assert sorted(title for title, *_ in cells) == sorted(complete.index)
    for folder, link, name, lines in cells:
        assert unquote(link) == f"{folder}/report.html"
        run = complete.loc[folder]
        assert name == f"{run['label.threshold']} · {run['train.seed']}"  # what varies
        assert lines == 1, (name, lines)  # one line, not three
    assert wrap[0] <= wrap[1], f"the runs table does not fit 1280 px: {wrap}"
