"""The installers' pieces, without PyInstaller: the desktop entry, AppStream
metainfo and MIME type are well formed and agree with each other and with the
app; the .deb tree is laid out right from a fake bundle (and packs, where
dpkg-deb exists); the Windows and macOS association files name .wdrun."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
LINUX = PACKAGING / "linux"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def _load(name: str) -> ModuleType:
    """A packaging/ script as a module (packaging/ is no package: that name is PyPI's)."""
    spec = importlib.util.spec_from_file_location(f"warmdesk_packaging_{name}",
                                                  PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


deb_tree = _load("deb_tree")
render_icons = _load("render_icons")
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
APP_ID, MIME_TYPE = deb_tree.APP_ID, deb_tree.MIME_TYPE


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def _metainfo(text: str | None = None) -> ET.Element:
    return ET.fromstring(text or (LINUX / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- desktop files
def test_the_desktop_entry_opens_run_files_with_warmdesk(qapp) -> None:
    from warmdesk.gui.app import make_application

    entry = _desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "WarmDesk"
    assert entry["Exec"] == "warmdesk %F"
    assert entry["Icon"] == APP_ID
    assert entry["MimeType"].split(";") == [MIME_TYPE, ""]
    app = make_application([])
    # X11 takes WM_CLASS's class from the application name, Wayland the app id
    # from the desktop file name: both must match the entry.
    assert entry["StartupWMClass"] == app.applicationName()
    assert app.desktopFileName() == APP_ID


def test_desktop_file_validate() -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    out = subprocess.run([tool, str(LINUX / f"{APP_ID}.desktop")], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_the_metainfo_names_the_same_app_and_type() -> None:
    root = _metainfo()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.find("launchable").get("type") == "desktop-id"
    assert [m.text for m in root.iter("mediatype")] == [MIME_TYPE]
    assert [b.text for b in root.iter("binary")] == ["warmdesk"]
    assert root.findtext("project_license") == "MIT"


def test_the_metainfo_release_is_the_project_version(tmp_path: Path) -> None:
    text = deb_tree.fill((LINUX / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8"),
                         {"VERSION": VERSION, "DATE": "2025-01-31"})
    release = _metainfo(text).find("releases/release")
    assert release.get("version") == VERSION and release.get("date") == "2025-01-31"
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed (apt-get install appstream)")
    path = tmp_path / f"{APP_ID}.metainfo.xml"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([tool, "validate", "--no-net", "--explain", str(path)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_fill_refuses_a_placeholder_left_over() -> None:
    with pytest.raises(ValueError, match="@DATE@"):
        deb_tree.fill("version @VERSION@ of @DATE@", {"VERSION": "1"})


def test_the_mime_type_matches_glob_and_zip_magic() -> None:
    root = ET.parse(LINUX / "warmdesk.xml").getroot()
    (mime,) = root.findall(f"{MIME_NS}mime-type")
    assert mime.get("type") == MIME_TYPE
    assert [g.get("pattern") for g in mime.findall(f"{MIME_NS}glob")] == ["*.wdrun"]
    assert mime.find(f"{MIME_NS}sub-class-of").get("type") == "application/zip"
    assert mime.find(f"{MIME_NS}icon").get("name") == deb_tree.MIME_ICON
    outer = mime.find(f"{MIME_NS}magic/{MIME_NS}match")
    assert (outer.get("offset"), outer.get("value")) == ("0", "PK\\003\\004")
    inner = outer.find(f"{MIME_NS}match")
    assert (inner.get("offset"), inner.get("value")) == ("30", "runs/")


def test_the_magic_fits_the_files_warmdesk_writes(tmp_path: Path) -> None:
    from warmdesk.core.engine import solve
    from warmdesk.core.problems import problem_from_dict
    from warmdesk.core.runfile import write_runfile

    from .core.factories import rosenbrock

    path = write_runfile(tmp_path / "a.wdrun", [solve(problem_from_dict(rosenbrock(n=2)))])
    head = path.read_bytes()[:40]
    assert head[:4] == b"PK\x03\x04" and head[30:35] == b"runs/"


def test_the_mime_database_knows_wdrun(tmp_path: Path) -> None:
    """update-mime-database compiles our XML, and the lookup finds the type by name."""
    tool = shutil.which("update-mime-database")
    if tool is None:
        pytest.skip("update-mime-database is not installed (apt-get install shared-mime-info)")
    mime = tmp_path / "mime"
    (mime / "packages").mkdir(parents=True)
    shutil.copy(LINUX / "warmdesk.xml", mime / "packages" / "warmdesk.xml")
    subprocess.run([tool, str(mime)], check=True, capture_output=True)
    assert (mime / "application" / "x-warmdesk-run.xml").is_file()
    assert "application/x-warmdesk-run:*.wdrun" in (mime / "globs2").read_text()
    lookup = shutil.which("mimetype")
    if lookup is None:
        return
    sample = tmp_path / "sample.wdrun"
    sample.write_bytes(b"PK\x03\x04" + bytes(26) + b"runs/")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), XDG_DATA_DIRS="/usr/share")
    out = subprocess.run([lookup, "--brief", str(sample)], capture_output=True, text=True,
                         env=env, check=False)
    assert out.stdout.strip() == MIME_TYPE


# ---------------------------------------------------------------- icons
def test_icons_render_at_every_size_with_transparency(qapp, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    made = render_icons.render_icons(REPO / "resources" / "icons" / "warmdesk.svg", tmp_path)
    assert sorted(made) == list(render_icons.ICON_SIZES)
    for size, path in made.items():
        image = QImage(str(path))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
        assert image.pixelColor(0, 0).alpha() == 0               # the rounded corner
        assert image.pixelColor(size // 2, size // 2).alpha() == 255
    ico, icns = (tmp_path / "warmdesk.ico").read_bytes(), (tmp_path / "warmdesk.icns").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00" and icns[:4] == b"icns"   # Windows, macOS icons


# ---------------------------------------------------------------- the .deb tree
@pytest.fixture
def staged(qapp, tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "warmdesk"
    exe.write_text("#!/bin/sh\necho warmdesk\n")
    exe.chmod(0o700)
    (bundle / "_internal" / "libfake.so").write_bytes(b"\x7fELF" + bytes(2000))
    (bundle / "_internal" / "data.txt").write_text("x")
    (bundle / "_internal" / "data.txt").chmod(0o600)
    icons = render_icons.render_icons(REPO / "resources" / "icons" / "warmdesk.svg",
                                      tmp_path / "icons", sizes=(16, 48, 256))
    return deb_tree.stage_tree(bundle, tmp_path / "root", VERSION, "amd64", icons,
                               REPO / "resources" / "icons" / "warmdesk.svg",
                               release_date=date(2025, 1, 31))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_the_tree_installs_the_bundle_and_the_desktop_files(staged: Path) -> None:
    assert _mode(staged / "opt/warmdesk/warmdesk") == 0o755
    assert _mode(staged / "opt/warmdesk/_internal/data.txt") == 0o644
    launcher = staged / "usr/bin/warmdesk"
    assert launcher.is_symlink() and os.readlink(launcher) == "/opt/warmdesk/warmdesk"
    share = staged / "usr/share"
    assert (share / f"applications/{APP_ID}.desktop").read_text() == \
        (LINUX / f"{APP_ID}.desktop").read_text()
    assert (share / "mime/packages/warmdesk.xml").read_bytes() == \
        (LINUX / "warmdesk.xml").read_bytes()
    release = _metainfo((share / f"metainfo/{APP_ID}.metainfo.xml").read_text()).find(
        "releases/release")
    assert (release.get("version"), release.get("date")) == (VERSION, "2025-01-31")
    for size in (16, 48, 256):
        assert (share / f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png").is_file()
        assert (share / f"icons/hicolor/{size}x{size}/mimetypes/{deb_tree.MIME_ICON}.png").is_file()
    assert (share / f"icons/hicolor/scalable/apps/{APP_ID}.svg").read_bytes().startswith(b"<svg")
    assert (share / f"icons/hicolor/scalable/mimetypes/{deb_tree.MIME_ICON}.svg").is_file()
    assert (share / "doc/warmdesk/copyright").is_file()
    for folder, _dirs, _files in os.walk(staged):
        assert _mode(Path(folder)) == 0o755, folder


def test_the_control_file_and_maintainer_scripts(staged: Path) -> None:
    fields = dict(line.split(": ", 1) for line in
                  (staged / "DEBIAN/control").read_text().splitlines()
                  if line and not line.startswith(" "))
    assert fields["Package"] == "warmdesk" and fields["Version"] == VERSION
    assert fields["Architecture"] == "amd64"
    assert int(fields["Installed-Size"]) >= 2   # KiB of the payload (the fake lib alone is 2 KB)
    # what the bundle links from the system (PyInstaller leaves libc, GL, libxcb and
    # Wayland out) and fontconfig's configuration for the bundled libfontconfig
    for package in ("libc6", "libgl1", "libegl1", "libxcb1", "libwayland-client0",
                    "fontconfig-config"):
        assert package in fields["Depends"]
    for script in ("postinst", "postrm"):
        path = staged / "DEBIAN" / script
        assert _mode(path) == 0o755
        subprocess.run(["sh", "-n", str(path)], check=True)   # parses
        text = path.read_text()
        for tool in ("update-mime-database", "update-desktop-database", "gtk-update-icon-cache"):
            assert f"command -v {tool}" in text   # each only if present


def test_stage_tree_refuses_a_folder_without_the_executable(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a WarmDesk bundle"):
        deb_tree.stage_tree(tmp_path, tmp_path / "root", VERSION, "amd64", {},
                            REPO / "resources" / "icons" / "warmdesk.svg")


def test_the_tree_packs_into_a_deb(staged: Path, tmp_path: Path) -> None:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    deb = deb_tree.build_deb(staged, tmp_path / "out", VERSION, "amd64")
    assert deb.name == f"warmdesk_{VERSION}_amd64.deb"
    info = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Version"],
                          capture_output=True, text=True, check=True).stdout
    assert info.split() == ["Package:", "warmdesk", "Version:", VERSION]
    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True,
                             text=True, check=True).stdout
    assert "root/root" in listing and "user" not in listing.split("\n")[0]
    assert "./usr/bin/warmdesk -> /opt/warmdesk/warmdesk" in listing
    assert f"./usr/share/applications/{APP_ID}.desktop" in listing


def test_depends_covers_what_the_bundle_links(tmp_path: Path) -> None:
    if not (shutil.which("objdump") and shutil.which("dpkg") and shutil.which("ldconfig")):
        pytest.skip("needs objdump, dpkg and ldconfig")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy("/bin/true", bundle / "warmdesk")          # a real ELF linking libc.so.6
    assert "libc.so.6" in deb_tree.external_libraries(bundle)
    assert deb_tree.missing_depends(bundle, "Depends: libc6 (>= 2.36), libgl1\n") == []
    assert deb_tree.missing_depends(bundle, "Depends: libgl1\n") == ["libc6 (for libc.so.6)"]
    assert deb_tree.package_guess("libwayland-egl.so.1") == "libwayland-egl1"
    assert deb_tree.package_guess("libfoo2.so.0") == "libfoo2-0"


# ---------------------------------------------------------------- other platforms, version
def test_the_spec_parses_and_declares_the_document_type() -> None:
    text = (PACKAGING / "warmdesk.spec").read_text()
    ast.parse(text)
    for needle in ("CFBundleDocumentTypes", "UTExportedTypeDeclarations", '"wdrun"',
                   "application/x-warmdesk-run", f'"{APP_ID}"', "BUNDLE(", "COLLECT("):
        assert needle.strip('"') in text, needle


def test_the_windows_installer_registers_wdrun() -> None:
    text = (PACKAGING / "windows" / "warmdesk.iss").read_text()
    assert "ChangesAssociations=yes" in text
    assert 'Subkey: "Software\\Classes\\.wdrun"' in text
    assert '""{app}\\{#ExeName}"" ""%1""' in text          # the file goes on the command line
    assert "OutputBaseFilename=warmdesk-{#AppVersion}-setup" in text


def test_one_version_number() -> None:
    from warmdesk import __version__

    build = _load("build")
    assert build.project_version() == VERSION
    if __version__ != "0.0.0+source":   # an installed (editable) package: the same number
        assert __version__ == VERSION


# ---------------------------------------------------------------- the self-test
def _self_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", **env)
    environment.pop("WARMDESK_SETTINGS", None)
    # a real process: the self-test starts Qt and sets its own settings, as a frozen app does
    return subprocess.run([sys.executable, "-m", "warmdesk.self_test"], cwd=tmp_path,
                          env=dict(environment, PYTHONPATH=str(REPO)), capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.mark.slow
def test_the_self_test_passes_from_source(tmp_path: Path) -> None:
    out = _self_test(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("self-test OK: WarmDesk ") and "(from source)" in line
    assert "child process" in line and "saved" in line and "exported and imported" in line


def test_the_self_test_names_what_failed(tmp_path: Path) -> None:
    out = _self_test(tmp_path, WARMDESK_RESOURCES=str(tmp_path / "no resources"))
    assert out.returncode == 1
    line = out.stdout.strip().splitlines()[-1]
    assert line.startswith("self-test FAILED: ") and "rosenbrock_base.json" in line
