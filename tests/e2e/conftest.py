"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Everything a person can see is checked the way a person meets it: by labels. Every screen the
tests pass through can be checked for WCAG 2.1 A/AA with axe-core and for fitting a 375 px
phone, and is photographed at desktop and phone width into test-artifacts/screens/.
A failing test leaves a screenshot and the page's HTML in test-artifacts/.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENS = ARTIFACTS / "screens"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE_WIDTH = 375
PHONE = {"width": PHONE_WIDTH, "height": 740}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SKIP_REASON = (
    "browser tests skipped: Chromium is missing at /usr/bin/chromium "
    "(scripts/install-chromium installs it)"
)

# --- collection: run last, or skip with one clear line when there is no browser ---------------


def _is_e2e(item) -> bool:
    return item.get_closest_marker("e2e") is not None


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if _is_e2e(item)]
    if not e2e:
        return
    others = [item for item in items if not _is_e2e(item)]
    if not CHROMIUM.exists():
        # Left out as a whole and said once, at the end of the run (not once per file).
        config._e2e_skipped = len(e2e)
        config.hook.pytest_deselected(items=e2e)
        items[:] = others
        return
    # Browser tests last: they are the slowest, and Playwright keeps an event loop running in the
    # main thread from their first use on.
    items[:] = others + e2e


def pytest_terminal_summary(terminalreporter, config):
    skipped = getattr(config, "_e2e_skipped", 0)
    if skipped:
        terminalreporter.write_sep("=", f"{skipped} {SKIP_REASON}", yellow=True, bold=True)


# --- failure artefacts ------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


# --- the data the migrations seed ----------------------------------------------------------------

PROJECT_APPS = ("wso_portal", "agreements", "notification")


@pytest.fixture(autouse=True)
def migrated_data(transactional_db):
    """Rows the project's data migrations create: the top page's services, the carriers' domains.

    A transactional test (every browser test, and some others) empties all tables when it ends,
    so these are put back before each browser test by running the migrations' RunPython steps
    again; they are written to be re-runnable (update_or_create / get_or_create).
    """
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    graph = MigrationLoader(connection).graph
    plan = []
    for leaf in graph.leaf_nodes():
        plan += [key for key in graph.forwards_plan(leaf) if key not in plan]
    with connection.schema_editor() as editor:
        for key in plan:
            if key[0] in PROJECT_APPS:
                for operation in graph.nodes[key].operations:
                    if isinstance(operation, RunPython):
                        operation.code(apps, editor)


@pytest.fixture
def alice(db):
    """A subscriber whose access key is helpers.KEY, with a 同意書 in force."""
    from tests.factories import make_agreement, make_line

    from .helpers import KEY

    make_agreement()
    return make_line(access_key=KEY)


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio loop in this thread, which makes Django refuse ORM
    # calls here (SynchronousOnlyOperation). Tests and fixtures use the ORM synchronously on
    # purpose (builders, assertions, the flush between tests), so allow it while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(request, browser, live_server):
    # axe-core is injected as an inline script, which the site's CSP forbids: these contexts
    # set the CSP aside; test_csp.py walks the screens with it in force.
    context = browser.new_context(
        base_url=live_server.url,
        viewport=DESKTOP,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = ARTIFACTS / _safe_name(request.node.nodeid.split("::", 1)[-1])
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
            print(f"\nfailure artefacts: {stem}.png, {stem}.html (at {page.url})")
        except Exception as exc:  # the page may be gone; the test's own error matters more
            print(f"\ncould not save failure artefacts: {exc}")
    context.close()


# --- axe-core -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """axe-core from the npm registry, pinned in package-lock.json."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "axe-core is missing and npm is not installed: run `npm ci` at the top level"
            )
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True
        )
        if result.returncode != 0 or not AXE_JS.exists():
            pytest.fail(f"`npm ci` could not install axe-core:\n{result.stdout}\n{result.stderr}")
    return AXE_JS


def _format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            summary = node.get("failureSummary", "").replace("\n", " / ")
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def axe_violations(page, axe_js: Path) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations",
        AXE_TAGS,
    )


# --- per-screen checks ----------------------------------------------------------------------------


def page_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def wide_elements(page) -> list[str]:
    """The outermost elements that stick out of the viewport, for a readable failure."""
    return page.evaluate(
        """() => {
            const out = [];
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.right > window.innerWidth + 0.5 && !out.some(o => o.el.contains(el))) {
                    const d = `${el.tagName.toLowerCase()}.${el.className} right=${r.right}`;
                    out.push({el, d});
                }
            }
            return out.slice(0, 10).map(o => o.d);
        }"""
    )


class ScreenChecks:
    """Checks the screen shown now: axe (desktop and phone), phone width, screenshots.

    `check(name)` records what is wrong with a screen and carries on, so one run lists every
    screen's problems; `assert_clean()` fails the test with all of them.
    """

    def __init__(self, page, axe_js: Path):
        self.page, self.axe_js = page, axe_js
        self.checked: list[str] = []
        self.problems: list[str] = []
        SCREENS.mkdir(parents=True, exist_ok=True)

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        problems = []
        page.set_viewport_size(DESKTOP)
        violations = axe_violations(page, self.axe_js)
        if violations:
            problems.append(f"axe at desktop width:\n{_format_violations(violations)}")
        page.screenshot(path=str(SCREENS / f"{name}-desktop.png"), full_page=True)

        page.set_viewport_size(PHONE)
        overflow = page_overflow(page)
        if overflow:
            problems.append(
                f"wider than a {PHONE_WIDTH} px phone by {overflow} px: "
                + json.dumps(wide_elements(page), ensure_ascii=False)
            )
        violations = axe_violations(page, self.axe_js)
        if violations:
            problems.append(f"axe at phone width:\n{_format_violations(violations)}")
        page.screenshot(path=str(SCREENS / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)

        self.checked.append(name)
        if problems:
            self.problems.append(f"screen {name!r} ({page.url}):\n" + "\n".join(problems))

    def assert_clean(self) -> None:
        assert self.checked, "no screen was checked"
        assert not self.problems, "\n\n".join(self.problems)


@pytest.fixture
def screens(page, axe_js) -> ScreenChecks:
    return ScreenChecks(page, axe_js)
