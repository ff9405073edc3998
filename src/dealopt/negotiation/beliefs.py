"""Learning the buyer: a Bayesian update over the buyer profiles from the buyer's offers.

P(profile | offers) ∝ P(profile) · Π L(offer | profile), with
L(offer | profile) = exp(β · û), û the profile's utility of the offer scaled to
[0, 1] over the feasible packages: buyers offer what is good for them. A partial
offer counts at its best completion for that profile.
"""

from __future__ import annotations

import numpy as np

from dealopt.negotiation.space import OutcomeSpace

__all__ = ["posterior", "DEFAULT_RATIONALITY"]

#: β: how sharply offers reveal the buyer's type.
DEFAULT_RATIONALITY = 5.0


def posterior(space: OutcomeSpace, offers: list[dict[int, int]], beta: float = DEFAULT_RATIONALITY) -> np.ndarray:
    """Posterior probability of each buyer profile after the buyer's ``offers`` (partial level indices)."""
    deal = space.deal
    prior = np.array([p.probability for p in deal.profiles], dtype=float)
    prior = prior / prior.sum()
    if space.profiles is None or not offers:
        return prior
    rng = space.profile_range
    if rng is None:
        return prior
    lo, hi = rng
    span = np.where(hi > lo, hi - lo, 1.0)
    log_post = np.log(np.maximum(prior, 1e-300))
    for offer in offers:
        best = space.best_matching(space.profiles, offer, space.feasible)
        if best is None:
            continue  # an offer no feasible package completes says nothing about the buyer's type
        log_post += beta * (best - lo) / span
    log_post -= log_post.max()
    post = np.exp(log_post) * (prior > 0)
    return post / post.sum()
