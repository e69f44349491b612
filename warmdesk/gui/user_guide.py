"""Help > User guide (F1): the pages of ``docs/`` inside the app.

The same Markdown files as the project's ``docs/`` folder, found through
:func:`~warmdesk.resources_path.docs_dir` (the source tree, or the copy a
packaged app carries in ``resources/docs``), listed by their titles and shown
with ``QTextBrowser.setMarkdown``. Links between pages (``library.md``,
``problem-format.md#kind-fit``) open the page and its section; web links open
in the browser; anything else is named as not part of the guide. The guide is
one window per main window, brought forward when asked again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QTextCursor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QSplitter,
                               QTextBrowser, QVBoxLayout, QWidget)

from ..resources_path import docs_dir

#: Pages in reading order; any other page of the folder follows, by name.
ORDER = ("gui.md", "warm-starts.md", "problem-format.md", "expressions.md", "advisor.md",
         "library.md", "run-file-format.md")
WEB_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class GuidePage:
    file: str        # "gui.md"
    title: str       # its first heading, "The WarmDesk desktop app"
    path: Path


def _title(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("# "):
                    return line[2:].strip().replace("`", "")
    except (OSError, UnicodeDecodeError):
        pass
    return path.stem.replace("-", " ").capitalize()


def guide_pages(folder: Path | None = None) -> list[GuidePage]:
    """The guide's pages in reading order (none when the folder is missing)."""
    folder = folder or docs_dir()
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    rank = {name: i for i, name in enumerate(ORDER)}
    files.sort(key=lambda p: (rank.get(p.name, len(ORDER)), p.name))
    return [GuidePage(p.name, _title(p), p) for p in files]


def heading_slug(text: str) -> str:
    """The anchor a Markdown renderer gives a heading ("Kind `fit`" -> "kind-fit")."""
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


class UserGuide(QWidget):
    """A window: the pages on the left, the page on the right."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("user_guide")
        self.setWindowTitle("WarmDesk user guide")
        self.folder = folder or docs_dir()
        self.pages = {page.file: page for page in guide_pages(self.folder)}
        self._current = ""
        self.page_list = QListWidget(objectName="guide_pages")
        self.page_list.setWordWrap(True)    # whole titles, no sideways scrolling
        self.page_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.page_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.page_list.setSpacing(2)
        for page in self.pages.values():
            item = QListWidgetItem(page.title)
            item.setData(Qt.ItemDataRole.UserRole, page.file)
            item.setToolTip(page.file)
            self.page_list.addItem(item)
        self.page_list.currentItemChanged.connect(
            lambda item, _old: item is not None
            and self.show_page(item.data(Qt.ItemDataRole.UserRole)))
        self.browser = QTextBrowser(objectName="guide_text", openLinks=False)
        self.browser.anchorClicked.connect(self.follow_link)
        self.message = QLabel(objectName="guide_message", wordWrap=True)
        self.message.setStyleSheet("color: #b3261e;")
        self.message.hide()
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.message)
        column.addWidget(self.browser, 1)
        splitter = QSplitter()
        splitter.addWidget(self.page_list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 670])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        self.resize(900, 680)
        if not self.pages:
            self._say(f"The user guide's pages are missing (looked in {self.folder}). "
                      "Reinstall WarmDesk, or read the guide in the docs/ folder of its source.")

    # ------------------------------------------------------------------ public API
    def current_page(self) -> str:
        return self._current

    def show_page(self, file: str, anchor: str = "") -> bool:
        """Show ``file`` (e.g. "gui.md") at the section ``anchor``; False if no such page."""
        page = self.pages.get(file)
        if page is None:
            self._say(f"“{file}” is not a page of the user guide.")
            return False
        if file != self._current:
            try:
                text = page.path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self._say(f"Cannot read the guide page {page.path}: {exc}")
                return False
            self._current = file
            self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(self.folder) + "/"))
            self.browser.setMarkdown(text)
            self.setWindowTitle(f"{page.title} — WarmDesk user guide")
            row = list(self.pages).index(file)
            if self.page_list.currentRow() != row:
                self.page_list.setCurrentRow(row)
        self.message.hide()
        self.scroll_to(anchor)
        return True

    def scroll_to(self, anchor: str) -> None:
        """To the heading whose slug is ``anchor`` (the top when "" or not found)."""
        bar = self.browser.verticalScrollBar()
        block = self.browser.document().begin()
        while anchor and block.isValid():
            if block.blockFormat().headingLevel() and heading_slug(block.text()) == anchor:
                self.browser.setTextCursor(QTextCursor(block))
                layout = self.browser.document().documentLayout()
                bar.setValue(int(layout.blockBoundingRect(block).top()))
                return
            block = block.next()
        bar.setValue(0)

    def follow_link(self, url: QUrl) -> None:
        if url.scheme() in WEB_SCHEMES:
            QDesktopServices.openUrl(url)
            return
        path, anchor = url.path(), url.fragment()
        name = Path(path).name if path else self._current
        if url.scheme() in ("", "file") and name in self.pages:
            self.show_page(name, anchor)
        else:
            self._say(f"“{url.toString()}” is not part of the user guide; "
                      "it is in WarmDesk's source.")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()


def show_user_guide(parent: QWidget, page: str | None = None) -> UserGuide:
    """Open the guide (or bring it forward) at ``page``, else where it was (first: gui.md)."""
    guide = parent.findChild(UserGuide, "user_guide")
    if guide is None:
        guide = UserGuide(parent)
    target = page or guide.current_page() or next(iter(guide.pages), "")
    if target:
        guide.show_page(target)
    guide.show()
    guide.raise_()
    guide.activateWindow()
    return guide
