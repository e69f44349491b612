"""The plot room: the live convergence plot (``convergence_plot``), the curve data
it draws from (``curve_buffer``), its axes (``log_axis``), its legend (``legend``),
its picture and exports (``export``), and what feeds it from solves and the
library's selection (``controller``)."""
