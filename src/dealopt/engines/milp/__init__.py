"""The MILP engine, on HiGHS driven directly (PuLP with CBC as the fallback when highspy is missing).

Modules: :mod:`.backend` (what the engine asks of a solver), :mod:`.highs` and
:mod:`.pulp_fallback` (the two back-ends), :mod:`.geometry` (exact plane
geometry), :mod:`.choices` (exact images of solver choices), :mod:`.formulation`
(the model, built once), :mod:`.sweep` (the ε-constraint sweep), :mod:`.ties`
(minima and tied packages) and :mod:`.engine` (the engine). The method is
described in ``docs/milp.md``.
"""

from dealopt.engines.milp.engine import MAX_STEPLESS, PRESOLVE_MODES, MilpEngine

__all__ = ["MilpEngine", "PRESOLVE_MODES", "MAX_STEPLESS"]
