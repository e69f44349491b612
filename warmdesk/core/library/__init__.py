"""The run library: the one package that speaks SQL.

Everything outside it uses this public API (``from warmdesk.core.library
import Library, RunQuery``); its modules are private to it:

- :mod:`.sql`: the one wrapper of sqlite3 (connections, transactions, errors);
- :mod:`.schema`: the tables and their forward migrations;
- :mod:`.store`: :class:`Library` (open, save, read, check), with
  :mod:`.edits` (names, notes, tags, info, the trash);
- :mod:`.runs_table`: how one run is laid out in the tables;
- :mod:`.recovery`: runs left ``running`` by a process that is gone;
- :mod:`.progress`: durable progress, a running run's history in chunks;
- :mod:`.arrays`: arrays stored a chunk at a time;
- :mod:`.check`: the integrity check;
- :mod:`.query`: :class:`RunQuery`, the listing's filters and sorting;
- :mod:`.listing`: facets, recorded savings and positions for a listing;
- :mod:`.sweeps`: the sweeps in the library and the runs of one (``sweep_runs``);
- :mod:`.features` and :mod:`.outcomes`: the advisor's questions, answered in
  Python (``Library.features``, ``Library.outcomes``), typed.
"""

from __future__ import annotations

from .features import Features, FeatureTable
from .listing import facet_values, recorded_savings, run_positions
from .outcomes import ColdRun, Outcomes, WarmRun
from .query import SORTABLE, SUMMARY_COLUMNS, RunQuery
from .sql import BugError, KnownError
from .store import DB_NAME, ENV_VAR, Library, default_library_dir
from .sweeps import (SweepRunRow, SweepSummary, list_sweeps, sweep_of_run, sweep_runs,
                     sweep_summary, sweep_verdicts)

__all__ = ["BugError", "ColdRun", "DB_NAME", "ENV_VAR", "FeatureTable", "Features", "KnownError",
           "Library", "Outcomes", "RunQuery", "SORTABLE", "SUMMARY_COLUMNS", "SweepRunRow",
           "SweepSummary", "WarmRun", "default_library_dir", "facet_values", "list_sweeps",
           "recorded_savings", "run_positions", "sweep_of_run", "sweep_runs", "sweep_summary",
           "sweep_verdicts"]
