"""Every sentence, label and money format: what a buyer reads (``words``) and what a rep acts on (``reasons``)."""

from dealopt.negotiation.phrasing.reasons import (
    reason_accept,
    reason_counter,
    reason_deadline,
    reason_no_zopa,
    reason_nothing_at_level,
)
from dealopt.negotiation.phrasing.words import (
    ACCEPT_SENTENCE,
    NO_DEAL_SENTENCE,
    accept_sentence,
    cell,
    counter_sentence,
    issue_words,
    join_words,
    money,
    move_words,
    out_of_reach,
    package_words,
    sides_apart,
    trade_sentence,
    value_words,
)

__all__ = [
    "ACCEPT_SENTENCE",
    "NO_DEAL_SENTENCE",
    "accept_sentence",
    "cell",
    "counter_sentence",
    "issue_words",
    "join_words",
    "money",
    "move_words",
    "out_of_reach",
    "package_words",
    "reason_accept",
    "reason_counter",
    "reason_deadline",
    "reason_no_zopa",
    "reason_nothing_at_level",
    "sides_apart",
    "trade_sentence",
    "value_words",
]
