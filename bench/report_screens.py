"""Screenshots of weekly reports as a reader sees them (headless Chromium), for the reader test of issue 18.

Computes the reports of the given weeks from a warehouse with the code in --code (default: this
checkout; another checkout gives the "before" pages), writes each report.html, and screenshots it at
--width px with Debian's chromium. Files are named by an opaque label, so a judge cannot tell the
versions apart: DIR/<label>-<week>-<n>.png, the page cut into screens of --screen px (a judge reads a
screen at a time, as a reader scrolls).

    python bench/report_screens.py WAREHOUSE --weeks 2025-W13 2026-W03 --out DIR --label x [--code DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--weeks", nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=7000)
    parser.add_argument("--screen", type=int, default=1400)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from reports.render import chart_pngs, render_html
    from reports.trends import build_week_report
    from reports.weeks import week_start
    from warehouse.db import connect

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("no chromium on PATH: `make chromium` installs Debian's")
    args.out.mkdir(parents=True, exist_ok=True)
    with connect(args.warehouse, read_only=True) as con:
        reports = [build_week_report(con, week_start(week))[0] for week in args.weeks]
    with tempfile.TemporaryDirectory() as tmp:
        for report in reports:
            page = Path(tmp) / f"{report.week}.html"
            page.write_text(render_html(report, chart_pngs(report)), encoding="utf-8")
            shot = args.out / f"{args.label}-{report.week}.png"
            subprocess.run(
                [
                    browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp}/profile", "--hide-scrollbars",
                    f"--window-size={args.width},{args.height}", f"--screenshot={shot.resolve()}", page.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )  # fmt: skip
            for tile in _screens(shot, args.screen):
                print(tile)
            shot.unlink()


def _screens(shot: Path, height: int) -> list[Path]:
    """Cut a page's screenshot below its last non-white row into screens of `height` px."""
    from PIL import Image, ImageOps

    image = Image.open(shot).convert("RGB")
    box = ImageOps.invert(image).getbbox()
    bottom = min(image.height, (box[3] if box else image.height) + 24)
    tiles = []
    for n, top in enumerate(range(0, bottom, height), start=1):
        tile = shot.with_name(f"{shot.stem}-{n}.png")
        image.crop((0, top, image.width, min(top + height, bottom))).save(tile)
        tiles.append(tile)
    return tiles


if __name__ == "__main__":
    main()
