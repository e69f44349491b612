"""Problem kinds as plug-ins: one module per kind (:mod:`.minimize`,
:mod:`.fit`, :mod:`.train`, :mod:`.ode`), each a :class:`~.base.Kind`, found
through :mod:`.registry`. See ``docs/kinds.md``."""
