"""Install the built .deb for real, check the desktop integration, remove it.

``sudo python packaging/check_deb_install.py [dist/warmdesk_<version>_<arch>.deb]``

1. ``apt-get install`` the package (with its dependencies);
2. the installed ``warmdesk`` solves an example and exports a run file;
3. ``xdg-mime query filetype`` gives ``application/x-warmdesk-run`` (by name,
   and by content for a copy without the extension), and ``xdg-mime query
   default`` gives WarmDesk's desktop file;
4. the desktop file's ``Exec`` line, run on the run file with ``--screenshot``
   (offscreen, into a fresh library), starts WarmDesk, which imports the run;
5. ``apt-get remove --purge`` removes every installed file and the association.

Needs root, apt, and xdg-utils (installed on the way if missing). Exits 0 only
if every check holds; prints the timings."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from deb_tree import APP_ID, MIME_TYPE

INSTALLED = [Path("/opt/warmdesk/warmdesk"), Path("/usr/bin/warmdesk"),
             Path(f"/usr/share/applications/{APP_ID}.desktop"),
             Path(f"/usr/share/metainfo/{APP_ID}.metainfo.xml"),
             Path("/usr/share/mime/packages/warmdesk.xml"),
             Path(f"/usr/share/icons/hicolor/256x256/apps/{APP_ID}.png"),
             Path(f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg")]
#: The system's tools first: a developer's own `warmdesk` (pip, pyenv) must not win.
ENV = dict(os.environ, PATH="/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin",
           QT_QPA_PLATFORM="offscreen", DEBIAN_FRONTEND="noninteractive")


def run(*args: str, env: dict[str, str] | None = None, check: bool = True,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(list(args), capture_output=True, text=True, env=env or ENV,
                         timeout=timeout, check=False)
    if check and out.returncode != 0:
        raise SystemExit(f"check: {shlex.join(args)} failed ({out.returncode}):\n"
                         f"{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return out


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"check: FAILED: {message}")
    print(f"check: ok: {message}", flush=True)


def exec_line(desktop_file: Path) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(desktop_file, encoding="utf-8")
    return shlex.split(parser["Desktop Entry"]["Exec"])


def make_run_file(folder: Path) -> tuple[Path, str]:
    """A run file made by the installed app: a solve, then an export."""
    library = folder / "sender-library"
    solved = run("warmdesk", "solve", str(REPO / "resources/examples/rosenbrock_base.json"),
                 "--library", str(library), "--process", "--json")
    run_id = json.loads(solved.stdout.strip().splitlines()[-1])["run_id"]
    path = folder / "from a colleague.wdrun"
    run("warmdesk", "export", "-o", str(path), "--library", str(library), run_id)
    return path, run_id


def main() -> int:
    debs = [Path(a) for a in sys.argv[1:]] or sorted((REPO / "dist").glob("warmdesk_*.deb"))
    if not debs:
        raise SystemExit("check: no dist/warmdesk_*.deb: run packaging/build.py first")
    deb = debs[-1].resolve()
    if shutil.which("xdg-mime", path=ENV["PATH"]) is None:
        run("apt-get", "install", "-y", "-qq", "xdg-utils", "libfile-mimeinfo-perl",
            "shared-mime-info", "desktop-file-utils")
    started = time.monotonic()
    run("apt-get", "install", "-y", "-qq", str(deb))
    print(f"check: installed {deb.name} in {time.monotonic() - started:.0f} s", flush=True)
    for path in INSTALLED:
        expect(path.exists(), f"{path} is installed")
    expect(run("warmdesk", "--version").stdout.strip().startswith("warmdesk "),
           "`warmdesk` on the PATH runs")

    with tempfile.TemporaryDirectory(prefix="warmdesk-deb-check-") as tmp:
        folder = Path(tmp)
        run_file, run_id = make_run_file(folder)
        no_suffix = folder / "no-suffix"
        shutil.copy(run_file, no_suffix)
        expect(run("xdg-mime", "query", "filetype", str(run_file)).stdout.strip() == MIME_TYPE,
               f"xdg-mime query filetype *.wdrun gives {MIME_TYPE}")
        expect(run("xdg-mime", "query", "filetype", str(no_suffix)).stdout.strip() == MIME_TYPE,
               "a run file without its suffix is recognised by its content")
        expect(run("xdg-mime", "query", "default", MIME_TYPE).stdout.strip() ==
               f"{APP_ID}.desktop", f"xdg-mime query default {MIME_TYPE} gives {APP_ID}.desktop")

        command = [str(run_file) if part in ("%F", "%f", "%U", "%u") else part
                   for part in exec_line(Path(f"/usr/share/applications/{APP_ID}.desktop"))]
        shot, library = folder / "opened.png", folder / "receiver-library"
        env = dict(ENV, WARMDESK_LIBRARY=str(library),
                   WARMDESK_SETTINGS=str(folder / "settings.ini"))
        started = time.monotonic()
        opened = run(*command, "--screenshot", str(shot), env=env, check=False, timeout=300)
        shot_s = time.monotonic() - started
        drawn = opened.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000
        if not drawn:
            print(opened.stdout[-2000:], opened.stderr[-2000:], file=sys.stderr)
        expect(drawn, f"the Exec line `{shlex.join(command)} --screenshot …` started "
                      f"WarmDesk and drew its window ({shot_s:.1f} s)")
        listed = run("warmdesk", "runs", "--library", str(library)).stdout
        expect(run_id[:12] in listed, "WarmDesk imported the run file's run into its library")
        kept = REPO / "build" / "deb-check-screenshot.png"
        kept.parent.mkdir(exist_ok=True)
        shutil.copy(shot, kept)

        run("apt-get", "remove", "--purge", "-y", "-qq", "warmdesk")
        for path in INSTALLED:
            expect(not path.exists() and not path.is_symlink(), f"{path} is gone after removal")
        expect(not Path("/opt/warmdesk").exists(), "/opt/warmdesk is gone")
        left = run("dpkg", "-L", "warmdesk", check=False)
        expect(left.returncode != 0, "dpkg knows no files of warmdesk any more")
        expect(run("xdg-mime", "query", "filetype", str(run_file)).stdout.strip() != MIME_TYPE,
               "the .wdrun type is gone from the MIME database")
        expect(run("xdg-mime", "query", "default", MIME_TYPE).stdout.strip() == "",
               "no default application is left for the type")
    print(f"check: all passed; the screenshot is in {kept}; start to screenshot {shot_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
