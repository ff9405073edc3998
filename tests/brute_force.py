"""A brute-force frontier, in plain Python over every package, straight from the spec's definitions."""

from __future__ import annotations

from typing import Any

from dealopt.model.reference import all_packages, reference_evaluate, reference_utility, reference_walk_away
from dealopt.model.schema import DealModel


def brute_force(model: DealModel) -> dict[str, Any]:
    """ZOPA frontier points (seller desc), Nash/KS/max-joint/egalitarian utility pairs, gaps."""
    rows = []
    for pkg in all_packages(model):
        r = reference_evaluate(model, pkg)
        if r["feasible"]:
            rows.append((r["seller"], r["buyer"], r["acceptable_seller"], r["acceptable_buyer"], pkg))
    out: dict[str, Any] = {"feasible": len(rows)}
    zopa = [(s, b, p) for s, b, a_s, a_b, p in rows if a_s and a_b]
    out["zopa"] = len(zopa)
    tol_s = 1e-9 * max([1.0] + [abs(r[0]) for r in rows])
    tol_b = 1e-9 * max([1.0] + [abs(r[1]) for r in rows])
    front = []
    for s, b, p in zopa:
        dominated = any(
            (s2 >= s - tol_s and b2 >= b - tol_b) and (s2 > s + tol_s or b2 > b + tol_b) for s2, b2, _ in zopa
        )
        if not dominated and not any(abs(s - f[0]) <= tol_s and abs(b - f[1]) <= tol_b for f in front):
            front.append((s, b, p))
    front.sort(key=lambda t: (-t[0], -t[1]))
    out["points"] = [(s, b) for s, b, _ in front]
    seller, buyer = model.parties.seller, model.parties.buyer
    w_s = reference_walk_away(model, seller.utility or [], seller.walk_away)
    if buyer.profiles:
        ws = [reference_walk_away(model, p.utility, p.walk_away) for p in buyer.profiles]
        w_b = (
            None
            if any(w is None for w in ws)
            else sum(p.probability * w for p, w in zip(buyer.profiles, ws, strict=True))
        )
    else:
        w_b = reference_walk_away(model, buyer.utility or [], buyer.walk_away)
    d_s = w_s if w_s is not None else min((r[0] for r in rows), default=None)
    d_b = w_b if w_b is not None else min((r[1] for r in rows), default=None)
    out["disagreement"] = (d_s, d_b)
    if front:
        out["max_joint"] = max(s + b for s, b, _ in zopa)
        out["nash"] = max((s - d_s) * (b - d_b) for s, b, _ in zopa)
        top_s = max(s for s, _, _ in zopa)
        top_b = max(b for _, b, _ in zopa)

        def ks(s: float, b: float) -> float:
            gs = (s - d_s) / (top_s - d_s) if top_s > d_s else 1.0
            gb = (b - d_b) / (top_b - d_b) if top_b > d_b else 1.0
            return min(gs, gb)

        out["ks"] = max(ks(s, b) for s, b in out["points"])
        out["egalitarian"] = max(min(s - d_s, b - d_b) for s, b, _ in zopa)
    elif rows:
        ok_s = [b for s, b, a_s, _, _ in rows if a_s]
        ok_b = [s for s, b, _, a_b, _ in rows if a_b]
        out["best_buyer_at_seller_walk_away"] = max(ok_s) if ok_s else None
        out["best_seller_at_buyer_walk_away"] = max(ok_b) if ok_b else None
    return out


def utility_of(model: DealModel, party: str, package: dict[str, Any]) -> float:
    """A party's utility for one package, from the reference evaluator."""
    p = model.parties.seller if party == "seller" else model.parties.buyer
    return reference_utility(model, p.utility or [], package)
