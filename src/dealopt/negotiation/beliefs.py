"""What the seller believes about the buyer, updated from the buyer's offers.

Buyers offer what is good for them. An offer o is read as a draw from a
Boltzmann-rational buyer: L(o | h) = exp(β·û_h(o)) / Σ_p exp(β·û_h(p)), û_h the
utility of hypothesis h scaled to [0, 1] over the feasible packages (a partial
offer counts at its best completion). Then P(h | offers) ∝ P(h) · Π L(o | h).

- With buyer **profiles**, the hypotheses are the profiles.
- With one buyer utility, the model competes with a utility **learned from the
  offers** (issue weights from how rarely the buyer moves an issue, level values
  from how often it names them): a frequency model in the manner of ANAC agents.
  Each offer is scored by the frequency model fit on the offers before it
  (prequential), so the learned hypothesis earns its weight by predicting, not
  by fitting. A model that explains the buyer keeps its weight; a guess that does
  not gives way to what the buyer shows. Levels the offers never named tie in the
  counts; a small share of the model's utility orders them.

The belief's buyer utility is the posterior mixture, on the model's money scale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import Evaluation
from dealopt.negotiation.space import OutcomeSpace

__all__ = ["BuyerBelief", "DEFAULT_RATIONALITY", "belief", "posterior"]

#: β: how sharply offers reveal the buyer's type.
DEFAULT_RATIONALITY = 5.0
#: Prior weight of the buyer model against the utility learned from the offers.
MODEL_PRIOR = 0.5
#: The most weight the learned utility gets: it refines the buyer model, never replaces it (measured in
#: benchmarks/negotiation.py: uncapped learning cost the known-buyer engine 0.02 at 100 rounds).
LEARNED_MAX_WEIGHT = 0.3
#: Offers after which the learned utility may reach its full weight (it grows linearly until then).
LEARNING_OFFERS = 10
#: Share of the buyer model inside the learned utility, so that packages the offers cannot tell apart are ordered
#: by the model rather than by their index.
MODEL_TIES = 0.1
_LEARNED = "learned from offers"
#: Beliefs kept per outcome space (the latest histories asked about; each holds a few arrays of the space's size).
_RECENT_BELIEFS = 4
#: Learning states kept per outcome space (one per history prefix seen).
_LEARNING_MEMO = 4096


@dataclass(frozen=True)
class BuyerBelief:
    """The buyer as the seller believes it is now."""

    utility: np.ndarray  # expected buyer utility per package of the space
    acceptance: np.ndarray | None  # probability the buyer accepts, per package (profiles only)
    acceptable: np.ndarray  # acceptable to the buyer under the belief (the expected ZOPA's buyer side)
    weights: dict[str, float] | None  # posterior over the hypotheses, for display
    profile_weights: np.ndarray | None  # posterior over the profiles
    model_weight: float  # weight of the model's buyer utility (1.0 without learning)
    learned: np.ndarray | None  # the learned utility on the model's scale, per package
    shape: tuple[int, ...]  # the outcome space's shape (levels per issue)

    def of(self, ev: Evaluation, rows: np.ndarray) -> np.ndarray:
        """Expected buyer utility of evaluated packages (``rows``: their nearest level indices)."""
        if self.profile_weights is not None:
            assert ev.profiles is not None
            return _weighted(self.profile_weights, np.stack(list(ev.profiles.values())))
        out = self.model_weight * ev.buyer
        if self.learned is not None and self.model_weight < 1.0:
            flat = np.ravel_multi_index(tuple(np.atleast_2d(rows).T), self.shape)
            out = out + (1.0 - self.model_weight) * self.learned[flat]
        return out


def belief(
    space: OutcomeSpace, offers: list[dict[int, int]], beta: float = DEFAULT_RATIONALITY, learn: bool = True
) -> BuyerBelief:
    """The belief after the buyer's ``offers`` (level indices of the stated issues, oldest first); ``learn=False``
    keeps a single buyer utility as the model states it."""
    key = (beta, learn, tuple(tuple(sorted(o.items())) for o in offers))
    recent: dict[tuple[float, bool, tuple[tuple[tuple[int, int], ...], ...]], BuyerBelief]
    recent = space.__dict__.setdefault("_beliefs", {})
    found = recent.get(key)
    if found is None:  # the same history asked again (another progress, another alternative): the same belief
        found = _belief(space, offers, beta, learn)
        if len(recent) >= _RECENT_BELIEFS:
            recent.pop(next(iter(recent)))
        recent[key] = found
    return found


def _belief(space: OutcomeSpace, offers: list[dict[int, int]], beta: float, learn: bool) -> BuyerBelief:
    deal = space.deal
    if deal.profiles:
        assert space.profiles is not None and space.profile_accepts is not None
        post = posterior(space, offers, beta)
        utility = _weighted(post, space.profiles)
        acceptance = _weighted(post, space.profile_accepts)
        w_exp = sum(
            float(p)
            * (prof.walk_away if prof.walk_away is not None else float(space.profiles[j][space.feasible].min()))
            for j, (p, prof) in enumerate(zip(post, deal.profiles, strict=True))
            if space.feasible.any()
        )
        acceptable = utility >= w_exp - 1e-9 * max(1.0, abs(w_exp))
        weights = {p.name: float(x) for p, x in zip(deal.profiles, post, strict=True)}
        return BuyerBelief(utility, acceptance, acceptable, weights, post, 1.0, None, deal.shape)
    w_b = deal.buyer_walk_away
    if not learn or len(offers) < 2 or not space.feasible.any():
        return BuyerBelief(space.buyer, None, _acceptable(space.buyer, w_b), None, None, 1.0, None, deal.shape)
    learned_hat, model_weight = _learn(space, offers, beta)
    if learned_hat is None:  # the model explains the buyer's offers: nothing learned outweighs it
        return BuyerBelief(space.buyer, None, _acceptable(space.buyer, w_b), None, None, 1.0, None, deal.shape)
    lo, hi = _range(space)
    learned = lo + learned_hat * (hi - lo)
    utility = model_weight * space.buyer + (1.0 - model_weight) * learned
    weights = {"buyer model": model_weight, _LEARNED: 1.0 - model_weight}
    # what the buyer accepts stays the model's: the learned utility ranks packages, it knows no walk-away
    return BuyerBelief(utility, None, _acceptable(space.buyer, w_b), weights, None, model_weight, learned, deal.shape)


def _acceptable(utility: np.ndarray, w: float | None) -> np.ndarray:
    if w is None:
        return np.ones(len(utility), dtype=bool)
    return utility >= w - 1e-9 * max(1.0, abs(w))


def _weighted(weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Σ weights[j] · rows[j] (a plain loop: faster than a BLAS matrix-vector product for a few rows)."""
    out: np.ndarray = weights[0] * rows[0]
    for w, row in zip(weights[1:], rows[1:], strict=True):
        out = out + w * row
    return out


def posterior(space: OutcomeSpace, offers: list[dict[int, int]], beta: float = DEFAULT_RATIONALITY) -> np.ndarray:
    """Posterior probability of each buyer profile after the buyer's ``offers`` (partial level indices)."""
    deal = space.deal
    prior: np.ndarray = np.array([p.probability for p in deal.profiles], dtype=float)
    prior = prior / prior.sum()
    if space.profiles is None or not offers:
        return prior
    rng = space.profile_range
    if rng is None:
        return prior
    lo, hi = rng
    span = np.where(hi > lo, hi - lo, 1.0)
    log_z = _profile_log_z(space, beta)
    log_post = np.log(np.maximum(prior, 1e-300))
    for offer in offers:
        best = space.best_matching_memo("profiles", space.profiles, offer)
        if best is None:
            continue  # an offer no feasible package completes says nothing about the buyer's type
        log_post += beta * (best - lo) / span - log_z
    log_post -= log_post.max()
    post: np.ndarray = np.exp(log_post) * (prior > 0)
    post = post / post.sum()
    return post


@functools.lru_cache(maxsize=16)
def _profile_log_z(space: OutcomeSpace, beta: float) -> np.ndarray:
    assert space.profiles is not None and space.profile_range is not None
    lo, hi = space.profile_range
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = (space.profiles[:, space.feasible] - lo[:, None]) / span[:, None]
    return np.array([_log_sum_exp(beta * row) for row in scaled])


def _log_sum_exp(x: np.ndarray) -> float:
    m = float(x.max())
    return m + float(np.log(np.exp(x - m).sum()))


@functools.lru_cache(maxsize=16)
def _range(space: OutcomeSpace) -> tuple[float, float]:
    feas = space.buyer[space.feasible]
    return float(feas.min()), float(feas.max())


@functools.lru_cache(maxsize=16)
def _model_log_z(space: OutcomeSpace, beta: float) -> tuple[np.ndarray, float]:
    lo, hi = _range(space)
    hat = (space.buyer - lo) / (hi - lo if hi > lo else 1.0)
    return hat, _log_sum_exp(beta * hat[space.feasible])


def _learn(space: OutcomeSpace, offers: list[dict[int, int]], beta: float) -> tuple[np.ndarray | None, float]:
    """The frequency model fit on all offers (scaled to [0, 1]) and the posterior weight of the buyer model."""
    deal = space.deal
    sizes = [len(i.labels) for i in deal.issues]
    hat, log_z_model = _model_log_z(space, beta)
    keys = [tuple(sorted(o.items())) for o in offers]
    # a negotiation asks again after each new offer: resume from the state its earlier offers left
    memo: dict[tuple[float, tuple[tuple[tuple[int, int], ...], ...]], tuple[_Frequency, float, float]]
    memo = space.__dict__.setdefault("_learning", {})
    start, saved = 0, memo.get((beta, tuple(keys[:-1])))
    if saved is not None:
        start, (freq, log_model, log_learned) = len(keys) - 1, (saved[0].copy(), saved[1], saved[2])
    else:
        freq, log_model, log_learned = (
            _Frequency(deal, sizes),
            float(np.log(MODEL_PRIOR)),
            float(np.log(1 - MODEL_PRIOR)),
        )
    for k in range(start, len(offers)):
        offer = offers[k]
        best = space.best_matching_memo(f"model-hat-{beta}", hat, offer)
        if best is not None:
            log_model += beta * float(best) - log_z_model
            if k == 0:
                log_learned -= float(np.log(max(1, int(space.feasible.sum()))))
            else:
                log_learned += freq.log_likelihood(offer, beta)
        freq.add(offer)
    if len(memo) >= _LEARNING_MEMO:
        memo.clear()
    memo[(beta, tuple(keys))] = (freq.copy(), log_model, log_learned)
    m = max(log_model, log_learned)
    model_weight = float(np.exp(log_model - m) / (np.exp(log_model - m) + np.exp(log_learned - m)))
    # the learned utility earns weight with evidence: a few offers say little about a buyer
    model_weight = max(model_weight, 1.0 - LEARNED_MAX_WEIGHT * min(1.0, (len(offers) - 1) / LEARNING_OFFERS))
    if model_weight >= 1.0 - 1e-6:
        return None, 1.0
    weights, values = freq.model()
    learned = np.zeros(deal.shape)
    for i in range(len(sizes)):
        view = [1] * len(sizes)
        view[i] = sizes[i]
        learned += (weights[i] * values[i, : sizes[i]]).reshape(view)
    flat = learned.reshape(-1)
    lo = hi = 0.0
    for i in range(len(sizes)):  # additive: the range over all packages, issue by issue
        lo += float((weights[i] * values[i, : sizes[i]]).min())
        hi += float((weights[i] * values[i, : sizes[i]]).max())
    flat -= lo
    flat /= hi - lo if hi > lo else 1.0
    if MODEL_TIES > 0:  # levels the offers never named tie in the counts: the buyer model orders them
        flat = (flat + MODEL_TIES * hat) / (1.0 + MODEL_TIES)
    return flat, model_weight


class _Frequency:
    """A frequency model of the buyer, fit one offer at a time.

    Issue weights (summing to 1) grow with how often the buyer keeps an issue unchanged between offers; level
    values (max 1) with how often it names a level (numeric issues: a kernel over neighbouring levels).
    """

    def __init__(self, deal: CompiledDeal, sizes: list[int]) -> None:
        self.sizes = np.array(sizes)
        width = max(sizes)
        self.pad = np.arange(width)[None, :] >= self.sizes[:, None]  # cells past an issue's last level
        self.counts = np.where(self.pad, 0.0, 1.0)
        self.unchanged = np.ones(len(sizes))
        self.numeric = np.array([i.kind != "categorical" and len(i.labels) > 1 for i in deal.issues])
        self.width = np.maximum(1.0, 0.1 * (self.sizes - 1))
        self.grid = np.arange(width)[None, :]
        self.last: dict[int, int] | None = None

    def copy(self) -> _Frequency:
        """An independent copy of the model fit so far."""
        out = object.__new__(_Frequency)
        out.__dict__.update(self.__dict__)
        out.counts, out.unchanged = self.counts.copy(), self.unchanged.copy()
        return out

    def add(self, offer: dict[int, int]) -> None:
        issues = np.array(sorted(offer))
        levels = np.array([offer[i] for i in issues])
        bumps = np.zeros_like(self.counts)
        bumps[issues, levels] = 1.0
        kernel = np.exp(-0.5 * ((self.grid - levels[:, None]) / self.width[issues, None]) ** 2)
        bumps[issues] = np.where(self.numeric[issues, None], kernel, bumps[issues])
        self.counts += np.where(self.pad, 0.0, bumps)
        if self.last is not None:
            for i, level in offer.items():
                if self.last.get(i) == level:
                    self.unchanged[i] += 1.0
        self.last = offer

    def model(self) -> tuple[np.ndarray, np.ndarray]:
        values = self.counts / self.counts.max(axis=1, keepdims=True)
        return self.unchanged / self.unchanged.sum(), values

    def log_likelihood(self, offer: dict[int, int], beta: float) -> float:
        """log L(offer) under the current model: exp(β·û(offer)) over Σ exp(β·û) of every package (additive: a product)."""
        weights, values = self.model()
        scaled = beta * weights[:, None] * values
        score = sum(
            float(scaled[i, offer[i]]) if i in offer else float(scaled[i][~self.pad[i]].max())
            for i in range(len(weights))
        )
        top = scaled.max(axis=1, keepdims=True)
        log_z = float((top[:, 0] + np.log(np.where(self.pad, 0.0, np.exp(scaled - top)).sum(axis=1))).sum())
        return score - log_z
