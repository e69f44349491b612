"""Build WarmDesk's installers: ``python packaging/build.py``.

1. renders the icons from ``resources/icons/warmdesk.svg`` (``build/icons``);
2. freezes the app with PyInstaller (installed with pip when missing) into the
   one-folder bundle ``dist/warmdesk/`` (on macOS also ``dist/WarmDesk.app``);
3. checks the bundle: ``--version`` prints the version of ``pyproject.toml`` and
   ``--self-test`` passes (offscreen: window, cold and warm solves in child
   processes, run-file export and import);
4. on Linux: packs the bundle as ``dist/warmdesk-<version>-linux-<arch>.tar.gz``,
   builds ``dist/warmdesk_<version>_<arch>.deb`` and runs the self-test again
   from the package's unpacked contents (``dpkg -x``);
   on Windows: compiles ``packaging/windows/warmdesk.iss`` if Inno Setup's
   ``iscc`` is on the PATH.

Exit status 0 only if every step and check passed. See packaging/README.md."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from deb_tree import DEFAULT_MAINTAINER, build_deb, host_arch, missing_depends, stage_tree
from render_icons import render_icons

SMOKE_TIMEOUT_S = 600


def project_version() -> str:
    with open(REPO / "pyproject.toml", "rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def check_installed_version(version: str) -> None:
    """The bundle takes ``warmdesk.__version__`` from the installed metadata."""
    try:
        installed = importlib.metadata.version("warmdesk")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != version:
        raise SystemExit(f"build: warmdesk's installed metadata says {installed}, pyproject.toml "
                         f"says {version}: run `pip install -e .` first")


def ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        print("build: installing PyInstaller", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "pyinstaller>=6"], check=True)


def du_bytes(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            file = Path(folder, name)
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def smoke(executable: Path, version: str, what: str) -> dict[str, float]:
    """``--version`` and ``--self-test`` of ``executable``; raises on any failure."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("WARMDESK_RESOURCES", None)   # the bundle must find its own
    started = time.monotonic()
    out = subprocess.run([str(executable), "--version"], capture_output=True, text=True,
                         timeout=SMOKE_TIMEOUT_S, env=env, check=False)
    version_s = time.monotonic() - started
    if out.returncode != 0 or out.stdout.strip() != f"warmdesk {version}":
        raise SystemExit(f"build: {what}: --version gave {out.stdout.strip()!r} "
                         f"{out.stderr.strip()!r} (exit {out.returncode}), expected "
                         f"'warmdesk {version}'")
    started = time.monotonic()
    out = subprocess.run([str(executable), "--self-test"], capture_output=True, text=True,
                         timeout=SMOKE_TIMEOUT_S, env=env, check=False)
    self_test_s = time.monotonic() - started
    lines = [line for line in out.stdout.splitlines() if line.startswith("self-test ")]
    print(f"build: {what}: {lines[-1] if lines else '(no self-test line)'}", flush=True)
    if out.returncode != 0 or not lines or not lines[-1].startswith("self-test OK"):
        raise SystemExit(f"build: {what}: the self-test failed (exit {out.returncode})\n"
                         f"{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return {"version_s": version_s, "self_test_s": self_test_s}


def freeze(dist: Path, work: Path) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work),
                    str(HERE / "warmdesk.spec")], check=True, cwd=REPO)
    return time.monotonic() - started


def archive(bundle: Path, target: Path, top: str) -> Path:
    """The bundle as a tarball whose top folder is ``top``."""
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=top)
    return target


def linux_packages(bundle: Path, dist: Path, build: Path, version: str, icons: dict,
                   args: argparse.Namespace, figures: dict[str, str]) -> None:
    arch = host_arch()
    if not args.no_archive:
        started = time.monotonic()
        tarball = archive(bundle, dist / f"warmdesk-{version}-linux-{platform.machine()}.tar.gz",
                          f"warmdesk-{version}")
        figures["bundle archive"] = (f"{tarball.name}: {mb(tarball.stat().st_size)} "
                                     f"({time.monotonic() - started:.0f} s)")
    started = time.monotonic()
    root = stage_tree(bundle, build / "deb" / "root", version, arch, icons,
                      REPO / "resources" / "icons" / "warmdesk.svg",
                      maintainer=os.environ.get("WARMDESK_MAINTAINER") or DEFAULT_MAINTAINER)
    missing = missing_depends(bundle, (root / "DEBIAN" / "control").read_text())
    if missing:
        raise SystemExit("build: the bundle links system libraries whose packages "
                         f"packaging/linux/control does not depend on: {missing}")
    deb = build_deb(root, dist, version, arch)
    figures[".deb"] = (f"{deb.name}: {mb(deb.stat().st_size)} "
                       f"({time.monotonic() - started:.0f} s to stage and pack)")
    print(f"build: {deb}", flush=True)
    if args.skip_smoke:
        return
    unpacked = build / "deb" / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True)
    timing = smoke(unpacked / "opt" / "warmdesk" / "warmdesk", version, "unpacked .deb")
    figures["self-test of the unpacked .deb"] = f"{timing['self_test_s']:.1f} s"


def windows_installer(version: str, figures: dict[str, str]) -> None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        print("build: Inno Setup (iscc) is not on the PATH: no Windows installer", flush=True)
        return
    subprocess.run([iscc, f"/DAppVersion={version}", str(HERE / "windows" / "warmdesk.iss")],
                   check=True, cwd=REPO)
    figures["Windows installer"] = f"dist/warmdesk-{version}-setup.exe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-freeze", action="store_true",
                        help="reuse dist/warmdesk from an earlier build")
    parser.add_argument("--skip-smoke", action="store_true", help="do not run the self-tests")
    parser.add_argument("--no-archive", action="store_true", help="no .tar.gz of the bundle")
    args = parser.parse_args(argv)
    version = project_version()
    dist, build = REPO / "dist", REPO / "build"
    figures: dict[str, str] = {"version": version}
    check_installed_version(version)
    icons = render_icons(REPO / "resources" / "icons" / "warmdesk.svg", build / "icons")
    bundle = dist / "warmdesk"
    if not args.skip_freeze:
        ensure_pyinstaller()
        figures["freeze"] = f"{freeze(dist, build / 'pyinstaller'):.0f} s"
    executable = bundle / ("warmdesk.exe" if sys.platform == "win32" else "warmdesk")
    if not executable.exists():
        raise SystemExit(f"build: {executable} is missing")
    figures["bundle"] = f"{bundle}: {mb(du_bytes(bundle))}"
    if not args.skip_smoke:
        timing = smoke(executable, version, "bundle")
        figures["bundle --version"] = f"{timing['version_s']:.1f} s"
        figures["bundle --self-test"] = f"{timing['self_test_s']:.1f} s"
    if sys.platform.startswith("linux") and shutil.which("dpkg-deb"):
        linux_packages(bundle, dist, build, version, icons, args, figures)
    elif sys.platform == "win32":
        windows_installer(version, figures)
    print("build: done")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
