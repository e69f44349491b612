"""Lay out and build the Debian package of a frozen WarmDesk bundle.

:func:`stage_tree` copies the one-folder bundle to ``/opt/warmdesk`` and adds
what makes it a desktop program: the ``warmdesk`` command, the menu entry, the
icons, the AppStream metainfo, the ``.wdrun`` MIME type and the maintainer
scripts that refresh the desktop's caches. :func:`build_deb` packs the tree
with ``dpkg-deb --root-owner-group -Zzstd``. Neither needs PyInstaller, so both
are tested on a fake bundle."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
LINUX = HERE / "linux"
APP_ID = "io.github.warmdesk.WarmDesk"
MIME_TYPE = "application/x-warmdesk-run"
MIME_ICON = MIME_TYPE.replace("/", "-")
PACKAGE = "warmdesk"
INSTALL_DIR = "opt/warmdesk"
EXECUTABLE = "warmdesk"
PLACEHOLDER = re.compile(r"@[A-Z_]+@")
DEFAULT_MAINTAINER = "The WarmDesk developers <warmdesk@example.invalid>"


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every ``@KEY@``; refuse a template with a placeholder left over."""
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    leftover = PLACEHOLDER.findall(template)
    if leftover:
        raise ValueError(f"unfilled placeholders: {sorted(set(leftover))}")
    return template


def _write(path: Path, text: str | bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    path.chmod(mode)


def _normalize_modes(root: Path) -> None:
    """0755 for folders and executables, 0644 for the rest (what dpkg expects)."""
    for folder, dirs, files in os.walk(root):
        Path(folder).chmod(0o755)
        for name in files:
            path = Path(folder, name)
            if path.is_symlink():
                continue
            executable = path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            path.chmod(0o755 if executable else 0o644)


def installed_size_kib(root: Path) -> int:
    """The control file's Installed-Size: the payload's size in KiB (DEBIAN/ excluded)."""
    total = 0
    for folder, dirs, files in os.walk(root):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if d != "DEBIAN"]
        for name in files:
            path = Path(folder, name)
            total += path.lstat().st_size if path.is_symlink() else path.stat().st_size
    return max(1, (total + 1023) // 1024)


def stage_tree(bundle: Path, root: Path, version: str, arch: str, icons: dict[int, Path],
               svg: Path, release_date: date | None = None,
               maintainer: str = DEFAULT_MAINTAINER) -> Path:
    """Lay out the package tree for ``bundle`` (a PyInstaller one-folder build with
    the ``warmdesk`` executable at its top) under ``root``, emptied first."""
    if not (bundle / EXECUTABLE).is_file():
        raise FileNotFoundError(f"{bundle / EXECUTABLE} is missing: not a WarmDesk bundle")
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(bundle, root / INSTALL_DIR, symlinks=True)
    launcher = root / "usr" / "bin" / EXECUTABLE
    launcher.parent.mkdir(parents=True)
    launcher.symlink_to(f"/{INSTALL_DIR}/{EXECUTABLE}")
    share = root / "usr" / "share"
    values = {"VERSION": version, "DATE": (release_date or date.today()).isoformat(),
              "ARCH": arch, "MAINTAINER": maintainer}
    _write(share / "applications" / f"{APP_ID}.desktop",
           (LINUX / f"{APP_ID}.desktop").read_text(encoding="utf-8"))
    _write(share / "metainfo" / f"{APP_ID}.metainfo.xml",
           fill((LINUX / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8"), values))
    _write(share / "mime" / "packages" / "warmdesk.xml", (LINUX / "warmdesk.xml").read_bytes())
    hicolor = share / "icons" / "hicolor"
    for size, png in sorted(icons.items()):
        for context, name in (("apps", APP_ID), ("mimetypes", MIME_ICON)):
            _write(hicolor / f"{size}x{size}" / context / f"{name}.png", png.read_bytes())
    for context, name in (("apps", APP_ID), ("mimetypes", MIME_ICON)):
        _write(hicolor / "scalable" / context / f"{name}.svg", svg.read_bytes())
    _write(share / "doc" / PACKAGE / "copyright",
           "WarmDesk\nLicense: MIT\n\nThe bundle under /opt/warmdesk includes Python, Qt "
           "(LGPLv3, through PySide6), NumPy, SciPy, pyqtgraph and autograd under their own "
           "licenses; their license files are in /opt/warmdesk/_internal.\n")
    _normalize_modes(root)
    values["INSTALLED_SIZE"] = str(installed_size_kib(root))
    debian = root / "DEBIAN"
    _write(debian / "control", fill((LINUX / "control").read_text(encoding="utf-8"), values))
    for script in ("postinst", "postrm"):
        _write(debian / script, (LINUX / script).read_bytes(), 0o755)
    debian.chmod(0o755)
    return root


def deb_name(version: str, arch: str) -> str:
    return f"{PACKAGE}_{version}_{arch}.deb"


def build_deb(root: Path, out_dir: Path, version: str, arch: str,
              compression: str = "zstd") -> Path:
    """Pack ``root`` into ``out_dir/warmdesk_<version>_<arch>.deb``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / deb_name(version, arch)
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", f"-Z{compression}",
                    str(root), str(target)], check=True, stdout=subprocess.DEVNULL)
    return target


def host_arch() -> str:
    """dpkg's name of this machine's architecture (amd64, arm64, ...)."""
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                          text=True).stdout.strip()


def external_libraries(bundle: Path) -> dict[str, str | None]:
    """``{soname: path or None}``: what the bundle's binaries link directly (ELF
    NEEDED) and do not carry themselves, resolved through ``ldconfig -p``."""
    bundled: set[str] = set()
    binaries: list[Path] = []
    for folder, _dirs, files in os.walk(bundle):
        for name in files:
            bundled.add(name)
            path = Path(folder, name)
            if (".so" in name or name == EXECUTABLE) and not path.is_symlink():
                binaries.append(path)
    needed: set[str] = set()
    for path in binaries:
        out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True,
                             check=False)
        needed.update(line.split()[1] for line in out.stdout.splitlines()
                      if line.strip().startswith("NEEDED"))
    cache: dict[str, str] = {}
    for line in subprocess.run(["ldconfig", "-p"], capture_output=True,
                               text=True, check=False).stdout.splitlines():
        soname, arrow, target = line.strip().partition(" => ")
        if arrow:   # the first entry of a name is this machine's own architecture
            cache.setdefault(soname.split(" (")[0], target)
    return {soname: cache.get(soname) for soname in sorted(needed - bundled)}


def package_guess(soname: str) -> str:
    """Debian's usual package name of a library: libfoo.so.1 -> libfoo1,
    libfoo2.so.0 -> libfoo2-0."""
    stem, _, version = soname.partition(".so.")
    return f"{stem}{'-' if stem[-1:].isdigit() else ''}{version.split('.')[0]}".lower()


def missing_depends(bundle: Path, control: str) -> list[str]:
    """The system libraries the bundle links whose package the control file's
    Depends does not name (by ``dpkg -S`` where installed, else by Debian's naming)."""
    depends = next((line.split(":", 1)[1] for line in control.splitlines()
                    if line.startswith("Depends:")), "")
    names = {part.strip().split(" ")[0] for part in depends.replace("|", ",").split(",")}
    problems = []
    for soname, path in external_libraries(bundle).items():
        package = None
        for candidate in ([path, os.path.realpath(path)] if path else []):
            out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True,
                                 check=False)
            if out.returncode == 0:
                package = out.stdout.split(":")[0]
                break
        package = package or package_guess(soname)
        if package not in names:
            problems.append(f"{package} (for {soname})")
    return problems
