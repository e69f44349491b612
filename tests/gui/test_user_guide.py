"""Help at hand: Help > User guide (F1) shows the docs/ pages inside the app
(also from a packaged app's resources), links between pages work, the warm
start page is there; column headers, payloads and solver terms explain
themselves in tooltips."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QListWidget, QTextBrowser

from warmdesk.gui.runs.history_model import HistoryTableModel
from warmdesk.gui.library.model import COLUMN_OF, RunTableModel
from warmdesk.gui.runs.details import RunDetails
from warmdesk.gui.user_guide import UserGuide
from warmdesk.gui.runs.warm_panel import WarmStartPanel

from ..core.factories import build, rosenbrock
from .conftest import Stocked

DOCS = Path(__file__).resolve().parents[2] / "docs"
TIP = Qt.ItemDataRole.ToolTipRole


def _guide(window) -> UserGuide:
    return window.findChild(UserGuide, "user_guide")


def test_f1_opens_the_user_guide_with_every_docs_page(qtbot, window) -> None:
    menu_texts = [a.text() for a in window.menuBar().actions()]
    help_menu = window.menuBar().actions()[menu_texts.index("&Help")].menu()
    assert "&User guide" in [a.text() for a in help_menu.actions()]
    assert QKeySequence("F1") in window.actions["user_guide"].shortcuts()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: _guide(window) is not None and _guide(window).isVisible())
    guide = _guide(window)
    assert set(guide.pages) == {p.name for p in DOCS.glob("*.md")}
    assert "warm-starts.md" in guide.pages
    assert guide.current_page() == "gui.md"
    text = guide.findChild(QTextBrowser, "guide_text").toPlainText()
    assert "The WarmDesk desktop app" in text and "##" not in text   # rendered, not raw
    titles = guide.findChild(QListWidget, "guide_pages")
    assert "What is a warm start, and when it hurts" in [
        titles.item(r).text() for r in range(titles.count())]
    window.actions["user_guide"].trigger()             # asked again: the same window
    assert window.findChildren(UserGuide) == [guide]


def test_the_warm_start_page_and_links_between_pages(qtbot, window) -> None:
    window.actions["warm_start_help"].trigger()
    guide = _guide(window)
    qtbot.waitUntil(guide.isVisible)
    assert guide.current_page() == "warm-starts.md"
    assert "when it hurts" in guide.browser.toPlainText()
    guide.follow_link(QUrl("problem-format.md#warm-start-payloads"))
    assert guide.current_page() == "problem-format.md"
    assert guide.browser.verticalScrollBar().value() > 0      # at the section, not the top
    assert guide.browser.textCursor().block().text() == "Warm-start payloads"
    guide.follow_link(QUrl("#common-fields"))                  # within the page
    assert guide.browser.textCursor().block().text() == "Common fields"
    guide.follow_link(QUrl("../packaging/README.md"))
    assert guide.message.isVisible() and "not part of the user guide" in guide.message.text()
    assert guide.current_page() == "problem-format.md"


def test_a_packaged_app_reads_the_pages_from_its_resources(qtbot, tmp_path: Path,
                                                           monkeypatch) -> None:
    resources = tmp_path / "resources"
    shutil.copytree(DOCS, resources / "docs", ignore=shutil.ignore_patterns("*.py", "*.png"))
    monkeypatch.setenv("WARMDESK_RESOURCES", str(resources))
    guide = UserGuide()
    qtbot.addWidget(guide)
    assert guide.folder == resources / "docs"
    assert guide.show_page("warm-starts.md")
    assert guide.pages["warm-starts.md"].path.parent == resources / "docs"
    (resources / "docs" / "gui.md").unlink()
    for page in (resources / "docs").glob("*.md"):
        page.unlink()
    empty = UserGuide()
    qtbot.addWidget(empty)
    assert not empty.pages and "missing" in empty.message.text()


def test_library_columns_explain_themselves(qtbot, stocked: Stocked) -> None:
    model = RunTableModel(stocked.library)
    saving = model.headerData(COLUMN_OF["saving"], Qt.Orientation.Horizontal, TIP)
    status = model.headerData(COLUMN_OF["status"], Qt.Orientation.Horizontal, TIP)
    assert "evaluations" in saving and "estimate" in saving
    assert "converged" in status and "interrupted" in status
    history = HistoryTableModel()
    assert "gradient" in history.headerData(2, Qt.Orientation.Horizontal, TIP)  # njev


def _tooltips(browser: QTextBrowser) -> dict[str, str]:
    """Every text fragment of the summary that has a tooltip, with it."""
    tips: dict[str, str] = {}
    block = browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().toolTip():
                tips[fragment.text()] = fragment.charFormat().toolTip()
            it += 1
        block = block.next()
    return tips


def test_run_details_explain_payloads_and_solver_terms(qtbot, stocked: Stocked) -> None:
    details = RunDetails(stocked.library)
    qtbot.addWidget(details)
    with qtbot.waitSignal(details.loaded, timeout=10_000):
        details.show_run(stocked.warm.id)
    assert "hess_inv" in stocked.warm.warm.payload
    tips = _tooltips(details.findChild(QTextBrowser, "summary"))
    assert "curvature" in tips["hess_inv"] and "start point" in tips["x0"]
    assert "nfev" in tips["Evaluations"] and "njev" in tips["Evaluations"]
    assert "tolerance" in tips["converged"]
    assert "cold run" in tips["Saving"]


def test_warm_start_suggestions_explain_their_payload(qtbot, stocked: Stocked) -> None:
    panel = WarmStartPanel(stocked.library)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.advice_ready, timeout=10_000):
        panel.set_problem(build(rosenbrock(a=1.01)))
    view = panel.findChild(QListWidget, "suggestions")
    tips = [view.item(r).toolTip() for r in range(view.count())]
    assert any("x0: the earlier run's solution" in tip for tip in tips)
