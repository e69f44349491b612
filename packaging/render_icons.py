"""Render the app icon (an SVG) to PNGs at the usual sizes with Qt's QSvgRenderer,
plus ``warmdesk.ico`` (Windows) and ``warmdesk.icns`` (macOS).

Used by the build (the .deb's hicolor icons, the exe and app-bundle icons, the
Windows installer's icon); run alone: ``python packaging/render_icons.py OUT_DIR``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render_icons(svg: Path, out_dir: Path, sizes: tuple[int, ...] = ICON_SIZES,
                 stem: str = "warmdesk") -> dict[int, Path]:
    """``{size: out_dir/<stem>-<size>.png}``, each rendered from ``svg`` with alpha."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not an SVG Qt can render")
    out_dir.mkdir(parents=True, exist_ok=True)
    made: dict[int, Path] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = out_dir / f"{stem}-{size}.png"
        if not image.save(str(path), "PNG"):
            raise OSError(f"cannot write {path}")
        made[size] = path
    # The Windows and macOS icon files, written by Qt's own image plugins (no Pillow).
    for size, suffix, fmt in ((256, "ico", "ICO"), (512, "icns", "ICNS")):
        if size in made and not QImage(str(made[size])).save(str(out_dir / f"{stem}.{suffix}"),
                                                             fmt):
            raise OSError(f"cannot write {out_dir / f'{stem}.{suffix}'}")
    del app  # the caller's application (if any) lives on
    return made


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "build" / "icons"
    for size, path in render_icons(here.parent / "resources" / "icons" / "warmdesk.svg",
                                   target).items():
        print(f"{size:>4} {path}")
