"""``network``: a multi-layer perceptron trained on data columns by mini-batch
Adam or SGD (numpy, exact gradients; ``solvers/network*.py``).

Its warm starts: an interrupted run of the same problem resumes exactly (the
packed training state: weights, optimizer moments and step, shuffle state,
epoch and mini-batch); any other usable network run is fine-tuned from
(:mod:`.network_mapping`: inputs matched by feature name, outputs by class,
``fine_tune`` mode plain, shrink-and-perturb or freeze).
"""

from __future__ import annotations

from typing import Any

from ..datasets import DataError
from ..method_facts import MethodFacts
from ..problem_types import Problem
from ..runs import Run
from ..solvers.base import SolveContext, WarmStart
from ..solvers.network_settings import OPTION_RULES, read_settings
from . import network_mapping
from .base import FieldReader, Kind, Merit, OptionRules, Words, read_target_and_features
from .memory import FLOAT, MemoryNeed

#: Copies of the feature matrix alive at the peak (the data, its standardised
#: training and validation splits, a mini-batch's gather).
DATA_COPIES = 3
#: Parameter-sized vectors: weights, gradient, two optimizer slots, the best
#: weights, the packed checkpoint (4 of them) and the epoch's start.
PARAMETER_COPIES = 12


class Network(Kind):
    name = "network"
    tip = "Train a neural network (an MLP) on a CSV file, epoch by epoch"
    menu_text = "&Network (MLP)"
    menu_tip = "A new neural network to train"
    fields = frozenset({"data", "target", "features", "output", "layers", "activation",
                        "weight_decay", "epochs", "batch_size", "seed", "schedule",
                        "validation", "early_stopping", "fine_tune"})
    methods = {"adam": MethodFacts(), "sgd": MethodFacts()}
    default_method = "adam"
    words = Words(unknowns="weights", unknown="weight", evaluations="mini-batches",
                  solution="trained weights", unfinished="weights so far",
                  size_field="layers")
    uses_dataset = True
    edits_variables = False   # its weights are laid out from the data and the layers
    #: A model of other data (other features: another structure) is what a
    #: fine-tune starts from: offered whenever it lowers the new training loss.
    different_problem_factor = 1.0
    #: Its guard compares validation losses with cold seeds (advisor.training_guard).
    guards_generalization = True

    def options(self, method: str) -> OptionRules:
        return OPTION_RULES.get(method, {})

    def payloads(self, method: str) -> tuple[str, ...]:
        return ("weights", network_mapping.RESUME_PAYLOAD)

    def method_note(self, method: str) -> str:
        return {"adam": "Adam: adaptive steps per weight (learning_rate, beta1, beta2).",
                "sgd": "SGD with momentum (learning_rate, momentum, nesterov)."}.get(method, "")

    def read(self, reader: FieldReader, d: dict[str, Any], p: Problem) -> None:
        settings, errors = read_settings(d)
        for fld, message in errors:
            reader.fail(fld, message)
        p.dataset = reader.dataset(d)
        p.structure_extra = {"network": [settings.output, list(settings.layers),
                                         settings.activation]}
        if p.dataset is None:
            return
        if not read_target_and_features(reader, d, p):
            return
        if len(set(p.features)) != len(p.features):
            reader.fail("features", "names a column twice")
        if reader.errors:
            return
        from ..solvers import network_data
        try:
            data = network_data.prepare(p, settings)
        except DataError as exc:
            reader.fail("validation.file", str(exc))
            return
        except ValueError as exc:
            reader.fail("validation" if "lacks" in str(exc) else "target", str(exc))
            return
        p.variables = network_data.layout(p, settings, data.classes)

    def check_solvable(self, problem: Problem, warm: WarmStart | None) -> None:
        """Nothing beyond the spec: the data were checked as it was read."""

    def solve(self, ctx: SolveContext) -> None:
        from ..solvers import network as network_solver
        network_solver.solve_network(ctx)

    def warm_start(self, problem: Problem, run: Run) -> WarmStart:
        return network_mapping.warm_start(problem, run)

    def merit(self, problem: Problem) -> Merit:
        """The training loss of the new problem's data at a start's weights (in
        the target's units, with the target standardisation fitted on its
        training split: what a cold start and a fine-tune's mapping use)."""
        from ..solvers import network_data
        data = network_data.prepare(problem)
        return lambda x: (data.evaluate(x, "train")[0], 0.0)

    def memory_needs(self, problem: Problem) -> list[MemoryNeed]:
        needs: list[MemoryNeed] = []
        n = problem.size
        needs.append(MemoryNeed(("layers",), f"the weights and training state ({n} weights, "
                                f"{PARAMETER_COPIES} copies)", n * FLOAT * PARAMETER_COPIES,
                                "make 'layers' smaller"))
        if problem.dataset is not None:
            rows, cols = problem.dataset.rows, max(1, len(problem.features))
            widest = max([cols, *(v.size for v in problem.variables if v.name[0] == "b")])
            needs.append(MemoryNeed(("data.file", "features"),
                                    f"the data and the activations ({rows} rows x {widest} "
                                    f"columns, {DATA_COPIES + 2} copies)",
                                    rows * widest * FLOAT * (DATA_COPIES + 2),
                                    "train on fewer rows (a shorter 'data.file') or fewer "
                                    "'features'"))
        return needs

    def starter(self) -> tuple[dict[str, Any], bool]:
        return {"description": "A small MLP on the example sensor data: choose your "
                               "own CSV on the Data tab.",
                "data": {"file": "mlp_base.csv"},
                "target": "good",
                "output": "binary",
                "layers": [16],
                "activation": "relu",
                "epochs": 40,
                "batch_size": 32,
                "validation": {"fraction": 0.2},
                "early_stopping": {"patience": 8},
                "solver": {"method": "adam", "options": {"learning_rate": 0.003}}}, True


KIND = Network()
