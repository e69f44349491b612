"""The problem room: the problem editor (``problem_editor``) and its parts, one per
area of the form (header, variables, model, model_data, data, solver, status),
the text <-> value rules (``values``, ``expression``), its file work (``files``),
the starter content of a new problem (``starters``) and the first-launch offer of
the bundled examples (``examples_offer``)."""
