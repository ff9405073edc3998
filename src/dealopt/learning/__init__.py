"""Learning the buyer from a seller's deal history: fit, profiles, report and synthetic histories.

Below ``batch`` and ``service``; imports nothing from the interfaces.
"""

from dealopt.learning.api import learn, packages_design, reference_package
from dealopt.learning.design import buyer_parameters as buyer_parameters_of
from dealopt.learning.errors import LearnError
from dealopt.learning.history import HistoryError, read_history
from dealopt.learning.report import BuyerFit, Estimate, LearnResult
from dealopt.learning.simulate import simulate_history, true_buyer

__all__ = [
    "BuyerFit",
    "Estimate",
    "HistoryError",
    "LearnError",
    "LearnResult",
    "buyer_parameters_of",
    "learn",
    "packages_design",
    "read_history",
    "reference_package",
    "simulate_history",
    "true_buyer",
]
