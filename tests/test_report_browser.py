"""The HTML report in a real browser: Debian's Chromium, headless, driven by the test.

How: the test writes `html_report` of the bundled policy and portfolio to a file and starts
``/usr/bin/chromium --headless`` with a fresh profile and ``--remote-debugging-pipe``, then speaks
the DevTools protocol over that pipe (NUL-terminated JSON on file descriptors 3 and 4; no port,
no network). That is more robust than scraping ``--enable-logging`` output, whose format is not
a contract: the protocol reports, as events, every request the page makes
(``Network.requestWillBeSent``), every console message (``Runtime.consoleAPICalled``,
``Log.entryAdded``: failed loads, blocked content, ...) and every uncaught exception
(``Runtime.exceptionThrown``). After the load event the test asks the DOM what rendered
(sections, KPI cells, worklist rows, whether each inline image decoded) and takes a
screenshot (``Page.captureScreenshot``, scaled down so the stdlib PNG decoder below is quick),
which must show content: not one colour, and a fair share of pixels not the background's.

A page with a broken script and a remote image checks the harness itself: it must see the
exception, the console error and the request, or the clean run above would prove nothing.

Chromium is the Debian package ``chromium``; `.ci/run` installs it. Under CI (``CI`` set) a
missing browser fails the test; elsewhere the test is skipped, naming the package.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arcollect import html_report, kpi, load_policy, read_portfolio_document

ROOT = Path(__file__).parent.parent
AS_OF = date(2026, 11, 23)
POLICY = ROOT / "rules" / "standard.arc"
PORTFOLIO = ROOT / "examples" / "portfolio.yaml"
DEADLINE = 30.0  # seconds for a whole browser session; a normal one takes about one
WIDTH, HEIGHT, SCALE = 1000, 1400, 0.4


def chromium() -> str:
    """Return the path of Chromium; fail under CI, skip elsewhere, when it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium", path="/usr/bin")
    if path is not None:
        return path
    message = (
        "the browser test needs Chromium: apt-get install chromium (Debian package 'chromium')"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}; .ci/run installs it when run as root")
    pytest.skip(message)


class DevTools:
    """A Chromium started headless with a fresh profile, spoken to over the DevTools pipe."""

    def __init__(self, exe: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Above any descriptor the child will use, so the dup2 below cannot clobber them.
        child_in = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def pipe_fds() -> None:  # in the child: the protocol reads fd 3 and writes fd 4
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        args = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
            "--remote-debugging-pipe", "about:blank",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            close_fds=False,
            preexec_fn=pipe_fds,  # noqa: PLW1509 - the test starts no threads of its own
        )
        os.close(child_in)
        os.close(child_out)
        self._buffer = b""
        self._next_id = 0
        self._deadline = time.monotonic() + DEADLINE
        self.events: list[dict[str, Any]] = []

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = self._deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                pytest.fail(f"Chromium did not answer within {DEADLINE:.0f} s{self._tail()}")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                pytest.fail(
                    f"Chromium closed the DevTools pipe (exit {self._exit_code()}){self._tail()}"
                )
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        result: dict[str, Any] = json.loads(message)
        return result

    def _exit_code(self) -> int | None:
        """Return the browser's exit code once it has exited (None if it has not, in 5 s)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.proc.wait(timeout=5)
        return None

    def _tail(self) -> str:
        """Return the end of what Chromium wrote on stderr, to say why it failed."""
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")[-2000:]
        return f"; its stderr ends:\n{text}" if text else ""

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            command["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        except BrokenPipeError:
            pytest.fail(
                f"Chromium closed the DevTools pipe (exit {self._exit_code()}){self._tail()}"
            )
        while True:
            message = self._read()
            if message.get("id") == self._next_id:
                assert "error" not in message, (method, message["error"])
                result: dict[str, Any] = message["result"]
                return result
            self.events.append(message)

    def wait_for(self, method: str) -> None:
        """Read events until one named *method* arrives."""
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read())

    def close(self) -> None:
        """Close the browser, killing it if it does not exit by itself."""
        with contextlib.suppress(OSError):
            os.write(
                self._to_browser, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0"
            )
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()


#: What the page's DOM shows, asked of the browser once the page has loaded.
DOM_QUERY = """JSON.stringify({
  sections: [...document.querySelectorAll("section")].map(s => s.id),
  kpis: Object.fromEntries([...document.querySelectorAll("td[data-kpi]")].map(
      td => [td.dataset.kpi + "/" + td.dataset.currency, td.textContent])),
  collectors: [...document.querySelectorAll("h3.collector")].map(h => h.textContent),
  worklist: [...document.querySelectorAll("#worklist tbody tr")].map(
      tr => [...tr.cells].slice(0, 6).map(td => td.textContent)),
  images: [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]),
  height: document.documentElement.scrollHeight,
})"""


class Visit:
    """What a browser saw of one page: the events, the DOM facts, the screenshot."""

    def __init__(self, exe: str, page: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="arcollect-chromium-") as profile:
            browser = DevTools(exe, Path(profile))
            try:
                targets = browser.send("Target.getTargets")["targetInfos"]
                target = next(t["targetId"] for t in targets if t["type"] == "page")
                session = browser.send("Target.attachToTarget", targetId=target, flatten=True)[
                    "sessionId"
                ]
                for domain in ("Page", "Runtime", "Log", "Network"):
                    browser.send(f"{domain}.enable", session)
                browser.events.clear()  # about:blank's own
                browser.send("Page.navigate", session, url=page.as_uri())
                browser.wait_for("Page.loadEventFired")
                answer = browser.send(
                    "Runtime.evaluate", session, expression=DOM_QUERY, returnByValue=True
                )
                self.dom: dict[str, Any] = json.loads(answer["result"]["value"])
                shot = browser.send(
                    "Page.captureScreenshot",
                    session,
                    format="png",
                    clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "scale": SCALE},
                )
                self.png = base64.b64decode(shot["data"])
                browser.send("Runtime.evaluate", session, expression="1")  # drain late events
            finally:
                browser.close()
        self.events = [e for e in browser.events if "method" in e]

    def requests(self) -> list[str]:
        """Return the URL of every request the page made, in order."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def problems(self) -> list[str]:
        """Return every console error or warning and uncaught exception, as text."""
        out = []
        for e in self.events:
            p = e["params"]
            if e["method"] == "Runtime.exceptionThrown":
                out.append(
                    f"exception: {p['exceptionDetails'].get('exception', {}).get('description')}"
                )
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in {
                "error",
                "warning",
                "assert",
            }:
                out.append(f"console.{p['type']}: {[a.get('value') for a in p['args']]}")
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in {"error", "warning"}:
                out.append(f"log {p['entry']['level']}: {p['entry']['text']}")
        return out


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Return the width, height and rows of pixels (RGBA bytes) of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    channels = {2: 3, 6: 4}[colour]
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = prev[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = prev[i - channels] if i >= channels else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        prev = line
        rgba = (
            line
            if channels == 4
            else bytes(b for px in range(width) for b in (*line[px * 3 : px * 3 + 3], 255))
        )
        rows.append(bytes(rgba))
    return width, height, rows


@pytest.fixture(scope="module")
def exe() -> str:
    """The Chromium to run."""
    return chromium()


@pytest.fixture(scope="module")
def report_visit(exe: str, tmp_path_factory: pytest.TempPathFactory) -> Visit:
    """Chromium's visit of the report of the bundled policy and portfolio on 2026-11-23."""
    policy = load_policy(POLICY)
    doc = read_portfolio_document(PORTFOLIO)
    page = tmp_path_factory.mktemp("report") / "report.html"
    page.write_text(
        html_report(policy, doc.accounts, as_of=AS_OF, company=doc.company), encoding="utf-8"
    )
    return Visit(exe, page)


def pixels(png: bytes) -> Iterator[bytes]:
    """Yield each pixel of *png* as RGBA bytes."""
    _, _, rows = decode_png(png)
    for row in rows:
        for x in range(0, len(row), 4):
            yield row[x : x + 4]


class TestReportInChromium:
    def test_no_console_error_or_exception(self, report_visit: Visit) -> None:
        """Loading the report logs no console error or warning and throws no exception."""
        assert report_visit.problems() == []

    def test_no_request_but_the_page_itself(self, report_visit: Visit) -> None:
        """The browser requests the page's own file and inline data only: nothing from a network."""
        requests = report_visit.requests()
        assert requests[0].startswith("file://")
        assert requests[0].endswith("/report.html")
        assert [u for u in requests[1:] if not u.startswith("data:")] == []

    def test_dom_has_the_kpis_and_the_worklist(self, report_visit: Visit) -> None:
        """The rendered DOM holds every section, the EUR KPI cells and C-1001's review row."""
        dom = report_visit.dom
        assert dom["sections"] == ["kpis", "aging", "worklist", "not-planned", "documents"]
        eur = kpi.report(read_portfolio_document(PORTFOLIO).accounts, AS_OF).get("EUR")
        assert eur.dso is not None
        assert dom["kpis"]["dso/EUR"] == format(eur.dso.quantize(Decimal("0.1")), "f")
        assert dom["kpis"]["accounts/EUR"] == str(eur.accounts)
        assert dom["kpis"]["dso/GBP"] == "-"
        assert dom["collectors"] == ["Lena Vogt (1)"]
        assert ["1", "C-1001", "Acme GmbH", "dispute_review [INV-2]", "review", "internal"] in (
            dom["worklist"]
        )
        assert dom["height"] > HEIGHT

    def test_inline_charts_decode(self, report_visit: Visit) -> None:
        """Each inline aging chart is an image the browser decoded, with a real size."""
        pytest.importorskip("matplotlib")
        images = report_visit.dom["images"]
        assert len(images) == 2
        assert all(done and w > 100 and h > 100 for done, w, h in images)

    def test_screenshot_shows_content(self, report_visit: Visit) -> None:
        """The screenshot is a PNG of the window, not one colour, with text and charts on it."""
        width, height, _ = decode_png(report_visit.png)
        assert (width, height) == (WIDTH * SCALE, HEIGHT * SCALE)
        counts = Counter(pixels(report_visit.png))
        background, most = counts.most_common(1)[0]
        assert background == b"\xff\xff\xff\xff"  # the page is white
        share = 1 - most / (width * height)
        assert 0.05 < share < 0.6, share
        assert len(counts) > 50  # text and charts, anti-aliased: many colours


class TestChromiumLookup:
    def test_missing_under_ci_fails(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Under CI a missing Chromium fails the test, naming the package to install."""
        monkeypatch.setattr(shutil, "which", lambda *_, **__: None)
        monkeypatch.setenv("CI", "1")
        with pytest.raises(pytest.fail.Exception) as failed:
            chromium()
        assert str(failed.value) == (
            "CI is set but the browser test needs Chromium: apt-get install chromium (Debian "
            "package 'chromium'); .ci/run installs it when run as root"
        )

    def test_missing_elsewhere_skips(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Outside CI a missing Chromium skips the test, naming the package to install."""
        monkeypatch.setattr(shutil, "which", lambda *_, **__: None)
        monkeypatch.delenv("CI", raising=False)
        with pytest.raises(pytest.skip.Exception) as skipped:
            chromium()
        assert str(skipped.value) == (
            "the browser test needs Chromium: apt-get install chromium (Debian package 'chromium')"
        )


class TestHarness:
    def test_browser_that_dies_is_reported(self, tmp_path: Path) -> None:
        """A browser that exits at once fails the test with its exit code and its stderr."""
        fake = tmp_path / "chromium"
        fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n", encoding="utf-8")
        fake.chmod(0o755)
        with pytest.raises(pytest.fail.Exception) as failed:
            Visit(str(fake), tmp_path / "page.html")
        assert str(failed.value) == (
            "Chromium closed the DevTools pipe (exit 3); its stderr ends:\ncannot open display\n"
        )

    def test_sees_errors_and_requests(self, exe: str, tmp_path: Path) -> None:
        """A page with a throwing script, a console error and a remote image is caught at each."""
        page = tmp_path / "bad.html"
        page.write_text(
            '<!doctype html><html><body><p>x</p><img src="http://127.0.0.1:9/pixel.png">'
            '<script>console.error("oops"); undefinedFunction();</script></body></html>',
            encoding="utf-8",
        )
        visit = Visit(exe, page)
        assert "http://127.0.0.1:9/pixel.png" in visit.requests()
        problems = visit.problems()
        assert "console.error: ['oops']" in problems
        assert any(
            p.startswith("exception: ReferenceError: undefinedFunction is not defined")
            for p in problems
        )
        assert any(p.startswith("log error: Failed to load resource") for p in problems), problems
