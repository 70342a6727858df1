#!/usr/bin/env python3
"""Checks a transparency report's HTML page in a real headless Chromium.

    check_report_html.py REPORT.html SCREENSHOT.png

- The page is self-contained: no <script>, no <link>, no <iframe>, and no
  attribute that fetches anything (src, href, srcset) outside the page.
- Every chart (<figure>) has a caption, an inline <svg> with a <title>,
  and a table of its data.
- Chromium loads it with no console error and no failed load.
- A phone-sized screenshot is not blank: it has dark text and the charts'
  colour, not only the background.

Exit 0 when every check holds; 1 with the failures listed otherwise.
"""

import html.parser
import os
import re
import subprocess
import sys
import tempfile

from PIL import Image


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []
        self.figures = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.problems.append(f"<{tag}> found: the page must not run or fetch anything")
        for name in ("src", "href", "srcset", "action"):
            value = attributes.get(name)
            if value is not None and not value.startswith("#"):
                self.problems.append(f"<{tag} {name}={value!r}> fetches or leaves the page")
        if "style" in attributes and "url(" in (attributes["style"] or ""):
            self.problems.append(f"<{tag}> style loads a url()")
        if tag == "figure":
            self.figures.append({"id": attributes.get("id"), "caption": False, "svg": False, "title": False, "table": False})
        if self.figures and "figure" in self.stack + [tag]:
            figure = self.figures[-1]
            if tag == "figcaption":
                figure["caption"] = True
            if tag == "svg":
                figure["svg"] = True
            if tag == "title" and "svg" in self.stack:
                figure["title"] = True
            if tag == "table":
                figure["table"] = True
        if tag not in ("meta", "br", "img", "input", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    report, screenshot = sys.argv[1], sys.argv[2]
    problems = []
    with open(report, encoding="utf-8") as handle:
        text = handle.read()
    if re.search(r"url\(", text):
        problems.append("the CSS loads a url()")
    page = Page()
    page.feed(text)
    problems += page.problems
    if not page.figures:
        problems.append("the page has no chart")
    for figure in page.figures:
        missing = [part for part in ("caption", "svg", "title", "table") if not figure[part]]
        if missing:
            problems.append(f"chart {figure['id']} lacks: {', '.join(missing)}")

    chromium = next((c for c in ("chromium", "chromium-browser") if subprocess.run(["which", c], capture_output=True).returncode == 0), None)
    if chromium is None:
        problems.append("chromium is not installed (make test installs Debian's chromium)")
    else:
        url = "file://" + os.path.abspath(report)
        with tempfile.TemporaryDirectory() as profile:
            common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
                      "--enable-logging=stderr", "--v=0"]
            loaded = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
            console = [line for line in loaded.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line or "Failed to load" in line]
            if loaded.returncode != 0:
                problems.append(f"chromium exited {loaded.returncode}: {loaded.stderr[-500:]}")
            if console:
                problems.append("console messages: " + " | ".join(console[:5]))
            if "<svg" not in loaded.stdout:
                problems.append("the page Chromium loaded has no chart")
            shot = subprocess.run(common + [f"--screenshot={os.path.abspath(screenshot)}", "--window-size=412,2400",
                                            "--hide-scrollbars", url], capture_output=True, text=True, timeout=120)
            if shot.returncode != 0 or not os.path.exists(screenshot):
                problems.append(f"no screenshot: {shot.stderr[-500:]}")
    if os.path.exists(screenshot):
        image = Image.open(screenshot).convert("RGB")
        colours = image.getcolors(maxcolors=1 << 20) or []
        dark = sum(count for count, (r, g, b) in colours if r + g + b < 200)
        red = sum(count for count, (r, g, b) in colours if r > 150 and g < 80 and b < 90)
        if len(colours) < 10 or dark < 500 or red < 500:
            problems.append(f"the screenshot looks blank: {len(colours)} colours, {dark} dark pixels, {red} chart pixels")
        else:
            print(f"screenshot {screenshot}: {image.width}x{image.height}, {len(colours)} colours, {dark} dark pixels, {red} chart pixels")
    if problems:
        for problem in problems:
            print("FAIL:", problem)
        return 1
    print(f"ok: {len(page.figures)} charts, each with a caption, an SVG title and a data table; no scripts, nothing fetched; no console errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
