"""The library room: the browser over every run in the library (``browser``), its
table model of virtual rows (``model``) and its columns (``columns``: order,
widths, which fit, the header menu), and the commands on runs: undoable renames,
tags, notes, deletes and restores, and export (``edit_commands``)."""
