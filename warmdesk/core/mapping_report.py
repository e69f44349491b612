"""The mapping report of a warm start as text (a light module: the GUI shows it
without importing the solvers)."""

from __future__ import annotations

from typing import Any


def format_report(report: dict[str, Any]) -> str:
    """The mapping report as a few lines for a terminal."""
    lines = [f"warm start from {report.get('source_run_id')}: payload "
             f"{', '.join(report.get('payload', []))} ({report.get('mode', 'restart')})"]
    if report.get("matched"):
        lines.append(f"  matched:   {', '.join(map(str, report['matched']))}")
    for r in report.get("resized", []):
        lines.append(f"  resized:   {r['name']} {r['from']} -> {r['to']} "
                     f"(first {r['taken']} taken, rest from the start)")
    if report.get("defaulted"):
        lines.append(f"  defaulted: {', '.join(map(str, report['defaulted']))} (from the start)")
    if report.get("dropped"):
        lines.append(f"  dropped:   {', '.join(map(str, report['dropped']))}")
    for name, count in report.get("clipped", {}).items():
        lines.append(f"  clipped:   {name} ({count} values into the new bounds)")
    if report.get("source_note"):
        lines.append(f"  note:      {report['source_note']}")
    for key, why in report.get("refused", {}).items():
        lines.append(f"  not used:  {key}: {why}")
    if "checkpoint_t" in report:
        lines.append(f"  resumes at t={report['checkpoint_t']:.6g}"
                     + (f"; {report['note']}" if report.get("note") else ""))
    return "\n".join(lines)
