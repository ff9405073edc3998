"""A guessed buyer: the seller's own utility mirrored, for an engine that must learn the buyer from its offers.

Each seller term becomes a buyer term: a term that is one table factor keeps
its coefficient and maps each table value v to max + min − v (the level the
seller likes most is the one the buyer is guessed to like least); any other
term has its coefficient negated. The guessed buyer has no walk-away and no
profiles. Issues, constraints, the seller and the policy are unchanged, so
packages keep their flat indices.
"""

from __future__ import annotations

from dealopt.model.loading import model_from_data
from dealopt.model.schema import DealModel, Factor, Term

__all__ = ["guessed_buyer", "mirrored"]


def mirrored(term: Term) -> Term:
    """The buyer term guessed from one seller term."""
    if len(term.of) == 1 and term.of[0].table is not None:
        factor = term.of[0]
        table = factor.table or {}
        hi, lo = max(table.values()), min(table.values())
        flipped = {level: hi + lo - v for level, v in table.items()}
        return Term(coef=term.coef, of=[Factor(issue=factor.issue, table=flipped)])
    return Term(coef=-term.coef, of=list(term.of))


def guessed_buyer(model: DealModel) -> DealModel:
    """``model`` with the buyer replaced by the seller's mirrored utility (no walk-away, no profiles)."""
    terms = [mirrored(t) for t in model.parties.seller.utility or []]
    data = model.to_file_data()
    data["parties"]["buyer"] = {"utility": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in terms]}
    return model_from_data(data, source=f"{model.name} (guessed buyer)")
