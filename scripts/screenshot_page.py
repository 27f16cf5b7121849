"""Screenshot of the standalone page for the README (docs/page.png).

Builds the fictional demo project (pubtrack.testing.demo) in a temporary
directory, renders `pubtrack render --standalone`, opens it in headless
Chromium (Debian's chromium + chromium-driver, driven by selenium from the
test extra) and saves a small palette PNG.

    python scripts/screenshot_page.py [--output docs/page.png] [--dark]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(REPO / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(REPO / "docs" / "page.png"))
    parser.add_argument("--width", type=int, default=900)
    parser.add_argument("--height", type=int, default=1300)
    parser.add_argument("--dark", action="store_true", help="prefers-color-scheme: dark")
    parser.add_argument("--colors", type=int, default=48, help="palette size of the PNG")
    args = parser.parse_args()

    from browser import chromium_driver  # tests/browser.py: one place that starts Chromium
    from pubtrack.testing.demo import make_demo_project

    work = Path(tempfile.mkdtemp(prefix="pubtrack-shot-"))
    try:
        project = make_demo_project(work / "cv")
        env = dict(os.environ, PUBTRACK_CONFIG=str(project / "pubtrack.toml"))
        subprocess.run(
            [sys.executable, "-m", "pubtrack", "render", "--standalone", "-o", "page.html"],
            cwd=project,
            env=env,
            check=True,
        )
        raw = work / "raw.png"
        with chromium_driver(work / "profile", dark=args.dark) as driver:
            driver.set_window_size(args.width, args.height)
            driver.get((project / "page.html").as_uri())
            driver.save_screenshot(str(raw))
        from PIL import Image

        image = Image.open(raw).convert("RGB")
        small = image.quantize(colors=args.colors, method=Image.Quantize.MEDIANCUT)
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        small.save(out, optimize=True)
        print(f"Wrote {out} ({out.stat().st_size // 1024} KB, {image.width}x{image.height})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
