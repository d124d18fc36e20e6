"""Regenerate docs/images/: a run's report.html and a sweep's index.html at 1280 and 420 px.

    python docs/make_screenshots.py                      # trains a small sweep in a temp folder
    python docs/make_screenshots.py --sweep outputs/multirun/<sweep>   # or shoots one you have
    python docs/make_screenshots.py --many-classes outputs/runs/<time>  # only a 51-class run's top

The sweep is `-m label.threshold=100,1000 sampling=undersample,none train.epochs=8` on the
default data (four runs, a few minutes on two cores). Needs headless Chromium and chromedriver
(Debian packages chromium and chromium-driver), selenium (the test extra) and Pillow (comes
with matplotlib). Each picture is the page's first screen (the sweep page down to its Runs
table at 1280 px), reduced to a 64-colour palette so that each stays well under 250 KB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

IMAGES = Path(__file__).resolve().parent / "images"
SWEEP = (
    "-m",
    "label.threshold=100,1000",
    "sampling=undersample,none",
    "train.epochs=8",
    "train.threads=1",
)
RUN = ("label.threshold=1000", "sampling=undersample")  # the run shown: both in its folder name
WIDTHS = {1280: 800, 420: 900}  # viewport width -> height of the first screen
MAX_HEIGHT = 1800
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def run_sweep(folder: Path) -> Path:
    """Train the small sweep into `folder`/threshold-study and return that folder."""
    sweep = folder / "threshold-study"
    command = [sys.executable, "-m", "threshold_sweep", *SWEEP, f"hydra.sweep.dir={sweep}"]
    print("running: threshold-sweep", " ".join(command[3:]), flush=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the sweep failed:\n{done.stderr[-3000:]}")
    return sweep


def browser():
    """Headless Chromium through the system chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_page_load_timeout(30)
    return driver


def shoot(driver, page: Path, width: int, height: int, out: Path, below: str = "") -> None:
    """Save the top of `page` at `width` px as a small PNG: `height` px high, or down to the
    end of the element `below` (a CSS selector) when that is taller."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.get(page.resolve().as_uri())
    if below:
        bottom = driver.execute_script(
            "const e = document.querySelector(arguments[0]);"
            "return e ? Math.ceil(e.getBoundingClientRect().bottom) + 16 : 0;",
            below,
        )
        height = min(max(height, bottom), MAX_HEIGHT)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": height})
    raw = out.with_suffix(".raw.png")
    driver.save_screenshot(str(raw))
    with Image.open(raw) as image:
        picture = image.convert("RGB").crop((0, 0, width, height))
    picture = picture.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    picture.save(out, optimize=True)
    raw.unlink()
    size = out.stat().st_size // 1024
    print(f"{out.relative_to(IMAGES.parent.parent)}: {width}x{height} px, {size} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, help="an existing sweep folder (default: train one)")
    parser.add_argument(
        "--many-classes",
        type=Path,
        help="only shoot this run folder's report.html (a 51-class run), down to its class "
        "balance chart, as run-report-51-classes-1280.png",
    )
    args = parser.parse_args()
    IMAGES.mkdir(exist_ok=True)
    if args.many_classes:
        driver = browser()
        try:
            out = IMAGES / "run-report-51-classes-1280.png"
            shoot(driver, args.many_classes / "report.html", 1280, 800, out, "#class-balance")
        finally:
            driver.quit()
        return 0
    with tempfile.TemporaryDirectory(prefix="screenshots-") as scratch:
        sweep = args.sweep or run_sweep(Path(scratch))
        (run,) = [d for d in sweep.iterdir() if set(RUN) <= set(d.name.split(","))]
        driver = browser()
        try:
            for width, height in WIDTHS.items():
                shoot(
                    driver, run / "report.html", width, height, IMAGES / f"run-report-{width}.png"
                )
                below = "#runs" if width > 1000 else ""
                out = IMAGES / f"sweep-index-{width}.png"
                shoot(driver, sweep / "index.html", width, height, out, below)
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
