"""Points ordered by nearest neighbour and cut into chains."""

from __future__ import annotations

from warmdesk.core.sweeps.chaining import cut_chains, order_points

from .helpers import bratu_sweep


def test_a_grid_is_walked_by_nearest_neighbour_without_long_steps() -> None:
    sweep = bratu_sweep(vary={"lam": [1.0, 2.0, 3.0, 4.0], "h2": [0.003, 0.004, 0.005]})
    order = order_points(sweep)
    assert sorted(order) == list(range(12)) and order[0] == 0
    steps = [sum(abs(sweep.points[a].values[k] - sweep.points[b].values[k]) /
                 (4.0 - 1.0 if k == "lam" else 0.002) for k in ("lam", "h2"))
             for a, b in zip(order, order[1:])]
    assert max(steps) <= 0.5 + 1e-9      # one grid step (scaled) each: a snake, no jump


def test_a_path_keeps_its_order_and_is_cut_for_the_workers_and_at_jumps() -> None:
    lams = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 3.0, 3.1, 3.2]
    sweep = bratu_sweep(path=[{"lam": v} for v in lams])
    order = order_points(sweep)
    assert order == list(range(9))
    assert [c.points for c in cut_chains(sweep, order, 1)] == [[0, 1, 2, 3, 4, 5],
                                                                [6, 7, 8]]   # the jump
    assert [c.points for c in cut_chains(sweep, order, 3)] == [[0, 1, 2], [3, 4, 5],
                                                                [6, 7, 8]]


def test_chain_length_from_the_spec_wins() -> None:
    sweep = bratu_sweep(chaining={"chain_length": 4})
    chains = cut_chains(sweep, order_points(sweep), 1)
    assert [len(c.points) for c in chains] == [4, 3, 4, 4, 3, 4, 4, 3, 4]
    assert sorted(i for c in chains for i in c.points) == list(range(33))
