"""The runs room: starting solves and following them. The warm-start panel
(``warm_panel``), the turn of "Solve" into a request (``launcher``), the solve jobs
(``solve_manager``) and their panel (``active_runs``), what a finished solve says
(``finished_text``), the message for runs the library could not store
(``unsaved_runs``), and everything about one run
(``details``, with its history table ``history_model`` and the diff from its
warm-start source ``diff``)."""
