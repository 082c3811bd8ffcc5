"""Render a saved email's HTML part the way a mail client would, and screenshot it with headless Chromium.

The message's cid: images are inlined as data: URIs (a browser cannot resolve cid:), the page is
shown at `--width` pixels (600: the layout's width) and the PNG is written outside the repo.

    python scripts/email_preview.py data/demo-inbox/01-ada_at_example.org.eml [--out /tmp/x.png] [--width 600]
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
from email import message_from_bytes, policy
from pathlib import Path


def inline_html(eml: Path) -> str:
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    html, images = "", {}
    for part in message.walk():
        if part.get_content_type() == "text/html":
            html = part.get_content()
        elif part.get_content_maintype() == "image":
            images[part["Content-ID"].strip("<>")] = base64.b64encode(part.get_content()).decode()
    for cid, data in images.items():
        html = html.replace(f"cid:{cid}", f"data:image/png;base64,{data}")
    return html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("eml", type=Path)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "papertrend-email.png")
    parser.add_argument("--width", type=int, default=600)
    parser.add_argument("--height", type=int, default=2600)
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("no chromium on PATH: install Debian's `chromium` (apt install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "email.html"
        page.write_text(inline_html(args.eml), encoding="utf-8")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp}/profile",
                f"--window-size={args.width},{args.height}",
                f"--screenshot={args.out.resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"screenshot of {args.eml} at {args.width} px: {args.out}")


if __name__ == "__main__":
    main()
