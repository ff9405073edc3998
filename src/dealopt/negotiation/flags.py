"""Warnings attached to counters and trades: a stable code the page and a CRM can key on, and a detail for people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dealopt.model.compiled import CompiledDeal

__all__ = ["Flag", "approval_flag", "discount_pct", "price_issue"]

#: Codes in use (stable: renaming one is a breaking change).
CODES = (
    "needs_approval",  # the discount passes an approval tier: detail names the approver
    "at_walk_away",  # the package is at the seller's walk-away: nothing left to give
    "low_acceptance",  # under the buyer profiles, few would accept
    "repeats_previous_offer",  # the same package as our previous counter
    "price_cut_only",  # a price cut with nothing else moved: the last resort
    "last_best_offer",  # the best we can do for the buyer at our limit
    "out_of_range",  # the buyer named a value outside an issue's range: read at the nearest bound
    "restricted_efficiency",  # efficient only among packages that keep the buyer's stated terms
)


@dataclass(frozen=True)
class Flag:
    """One warning: ``code`` is stable, ``detail`` is for people."""

    code: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """As in ``--json``."""
        return {"code": self.code, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code


def price_issue(deal: CompiledDeal) -> str | None:
    """The name of the price issue: ``policy.price_issue``, else a numeric issue called ``price``."""
    pol = deal.model.policy
    if pol is not None and pol.price_issue:
        return pol.price_issue
    return "price" if "price" in deal.by_name and deal.by_name["price"].numeric else None


def discount_pct(deal: CompiledDeal, price: float) -> float | None:
    """100 × (list − price) / list, or None without a list price."""
    pol = deal.model.policy
    if pol is None or not pol.list_price:
        return None
    return 100.0 * (pol.list_price - price) / pol.list_price


def approval_flag(deal: CompiledDeal, price: float | None) -> Flag | None:
    """``needs_approval`` naming the highest approval tier the discount at ``price`` passes, or None."""
    pol = deal.model.policy
    if pol is None or price is None:
        return None
    discount = discount_pct(deal, price)
    if discount is None:
        return None
    passed = [t for t in pol.tiers() if discount > t.above_discount_pct + 1e-9]
    if not passed:
        return None
    tier = passed[-1]
    return Flag(
        "needs_approval",
        f"discount {discount:.1f}% exceeds {tier.above_discount_pct:g}%: needs {tier.approver}",
    )
