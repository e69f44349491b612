#!/usr/bin/env bash
# CI step for the installers (about 3 minutes on 2 cores): freeze the app, run
# the self-test on the bundle and on the unpacked .deb (build.py), then install
# the .deb for real, check the .wdrun association and the desktop entry's Exec
# line, and remove it (check_deb_install.py). Needs root and apt; run after
# `pip install -e ".[test]"`.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen DEBIAN_FRONTEND=noninteractive
# objdump (Depends check), dpkg-deb, and the desktop tools the checks query
apt-get update -qq
apt-get install -y -qq --no-install-recommends binutils dpkg xdg-utils \
  libfile-mimeinfo-perl shared-mime-info desktop-file-utils >/dev/null
python3 packaging/build.py --no-archive
python3 packaging/check_deb_install.py
