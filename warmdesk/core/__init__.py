"""The Qt-free core: problems, safe expressions, solver adapters, runs, the
library and the engine. Nothing under this package may import Qt."""
