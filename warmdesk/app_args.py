"""The desktop app's command line (``warmdesk [--library DIR] [FILE ...]``),
Qt-free so that ``warmdesk --help`` can list it without starting Qt."""

from __future__ import annotations

import argparse

#: Files the app opens when named on its command line.
APP_FILE_SUFFIXES = (".wdrun", ".json")


def add_app_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--library", metavar="DIR", help="the run library folder")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="start, wait until the window has loaded and drawn, save a PNG "
                             "of it to PATH and exit")
    parser.add_argument("--size", metavar="WxH", default="1440x900",
                        help="window size for --screenshot (default 1440x900)")
    parser.add_argument("files", nargs="*", help="run files (.wdrun) to import, or a problem "
                                                 "(.json) to open")


def app_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warmdesk", description="WarmDesk desktop app")
    add_app_arguments(parser)
    return parser
