"""Quote-variant pricing: each variant priced as a trade from the base quote the buyer already holds.

Each input row is one (quote, variant): ``quote_id``, ``model`` (a model name in the
models folder, or a path to a model file), ``base.ISSUE`` for every issue of the model
(the base quote, its price included) and ``variant.ISSUE`` for the issues the variant
changes (a missing column or an empty cell means unchanged). With the variant's
non-price levels fixed, U_s(p) and U_b(p) are the seller's and the buyer's (expected,
with profiles) utility of the variant at price p, and U_s⁰, U_b⁰ those of the base quote:

- ``break_even_price``: the p with U_s(p) = U_s⁰ — the seller is as well off as with the
  base quote. Reported whenever it exists as a real number, inside the price issue's range
  or not; ``break_even_in_range`` says which.
- ``buyer_break_even_price``: the p with U_b(p) = U_b⁰ — the most the variant is worth to
  the buyer.
- ``suggested_price``: when the variant adds joint value, the p at which the seller's gain
  U_s(p) − U_s⁰ is ``policy.value_share`` (default 0.5) of the joint gain and the buyer's
  gain the rest; never below the break-even or the floor, never above the buyer's
  break-even; rounded to the price issue's step when it has one. When the variant
  destroys joint value, the seller's break-even, and ``variant_loses_value`` is true.
- ``variant_value``: the joint value the variant adds over the base quote at the suggested
  price: (U_s − U_s⁰) + (U_b − U_b⁰).
- ``floor_price``: the lowest price, from the range's minimum up, at which the seller
  reaches its walk-away with the variant (above the range when only there), raised to
  ``policy.floor_price``; with no seller walk-away, ``policy.floor_price`` or null.
  ``below_floor``: the price the rules above give is below the floor, and the suggestion
  is the floor.
- ``discount_pct`` = 100 × (list − suggested) / list (null without ``policy.list_price``);
  ``approval``: the approver of the highest ``policy.approval_tiers`` tier the discount
  exceeds, ``none`` below every tier (``approval_discount_pct`` is one tier, ``approval``).
- ``win_probability``: the buyer profiles' acceptance probability at the suggested price
- ``expected_best_price``: with buyer profiles, the price maximizing P(win) × (U_s − w_s)
  (null without profiles).
- ``zopa``: some price in the range (from ``policy.floor_price`` up) gives both sides at
  least their walk-away; ``suggested_feasible``: the suggested package keeps the
  constraints that read the price.
- ``error``: only for bad input — an unknown model, level or column, a base quote or a
  variant that breaks a constraint, a model that has no numeric price issue — one line
  naming the row, the column and what was expected; the computed columns are then null.

Rows in = rows out, in the same order, always. When each side's utility is affine in the
price (the price a bare factor of its terms) every price has a closed form; otherwise
prices are found numerically with ``scipy.optimize.elementwise``.

:func:`price_variants` prices a DataFrame; :func:`price_variants_file` runs file to file
(CSV, Parquet, partitioned Parquet) in bounded-memory chunks, in process or on a Dask
cluster, with the same results either way.
"""

from dealopt.batch.pricing.api import DEFAULT_CHUNK_ROWS, price_variants, price_variants_file
from dealopt.batch.pricing.frame import OUTPUT_COLUMNS
from dealopt.batch.pricing.results import PricedVariants, PricingRun

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "OUTPUT_COLUMNS",
    "PricedVariants",
    "PricingRun",
    "price_variants",
    "price_variants_file",
]
