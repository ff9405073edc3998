"""What a web worker keeps per model: evaluated outcome spaces and frontier summaries, each computed once.

Single flight: the first request for a model's outcome space starts its evaluation, every concurrent request
for it waits on that one evaluation (a requester that gives up at its budget does not stop it: the next one
finds it done). Evaluations run one at a time, on one thread, and are bounded (the service refuses models
over its outcome-space limit). The spaces kept are bounded by memory: past the limit the least recently used
are dropped (with what the negotiation engine derived from them). Frontier summaries (for ``from: "nash"``
and the frontier alongside a counter) are computed once per model version in a solver process.
"""

from __future__ import annotations

import asyncio
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.space import is_evaluated, outcome_space

__all__ = ["Warm", "space_bytes"]

#: What the searches derive from a space (masks, scaled copies) is counted as much again as the space itself.
DERIVED = 2.0
_SUMMARIES = 64


def space_bytes(deal: CompiledDeal) -> int:
    """Memory held by the evaluated outcome space of ``deal`` (its arrays, and as much again derived from them)."""
    if not is_evaluated(deal):
        return 0
    space = outcome_space(deal)
    arrays = sum(v.nbytes for v in vars(space).values() if isinstance(v, np.ndarray))
    return int(arrays * DERIVED)


def _forget_derived() -> None:
    """Drop what the negotiation engine cached per outcome space (its ``lru_cache`` functions)."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("dealopt.negotiation") or module is None:
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()


class Warm:
    """Outcome spaces (LRU, bounded by bytes) and frontier summaries (LRU by count) of one web worker."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._spaces: OrderedDict[int, tuple[CompiledDeal, int]] = OrderedDict()
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._evaluator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dealopt-evaluate")
        self._summaries: OrderedDict[int, tuple[CompiledDeal, dict[str, Any]]] = OrderedDict()
        self._summary_pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.evaluations = 0  # spaces evaluated (for tests: a stampede costs one)

    @property
    def held_bytes(self) -> int:
        """Memory held by the spaces kept."""
        return sum(size for _, size in self._spaces.values())

    def ready(self, deal: CompiledDeal) -> bool:
        """Whether the outcome space of ``deal`` is evaluated and kept."""
        if id(deal) in self._spaces and is_evaluated(deal):
            self._spaces.move_to_end(id(deal))
            return True
        return False

    async def space(self, deal: CompiledDeal, timeout: float) -> None:
        """Until the outcome space of ``deal`` is evaluated (one evaluation, however many wait for it)."""
        if self.ready(deal):
            return
        loop = asyncio.get_running_loop()
        key = id(deal)
        future = self._pending.get(key)
        if future is None:
            future = asyncio.ensure_future(self._evaluate(loop, deal))
            self._pending[key] = future
            future.add_done_callback(lambda _: self._pending.pop(key, None))
        await asyncio.wait_for(asyncio.shield(future), timeout)

    async def _evaluate(self, loop: asyncio.AbstractEventLoop, deal: CompiledDeal) -> None:
        await loop.run_in_executor(self._evaluator, outcome_space, deal)
        self.evaluations += 1
        self._spaces[id(deal)] = (deal, space_bytes(deal))
        self._evict(keep=id(deal))

    def _evict(self, keep: int) -> None:
        """Drop the least recently used spaces while over the memory bound (never the one just made)."""
        dropped = False
        while self.held_bytes > self.max_bytes and len(self._spaces) > 1:
            key, (deal, _) = next(iter(self._spaces.items()))
            if key == keep:
                self._spaces.move_to_end(key)
                continue
            del self._spaces[key]
            deal.__dict__.pop("_outcome_space", None)
            dropped = True
        if dropped:
            _forget_derived()

    def forget(self, keep: set[int]) -> None:
        """Drop everything of the models not in ``keep`` (ids of the deals still served, after a reload)."""
        for key in [k for k in self._spaces if k not in keep]:
            deal, _ = self._spaces.pop(key)
            deal.__dict__.pop("_outcome_space", None)
        for key in [k for k in self._summaries if k not in keep]:
            del self._summaries[key]
        _forget_derived()

    async def summary(self, deal: CompiledDeal, compute: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """The frontier summary of ``deal``: computed once by ``compute`` (concurrent callers share it)."""
        key = id(deal)
        found = self._summaries.get(key)
        if found is not None:
            self._summaries.move_to_end(key)
            return found[1]
        future = self._summary_pending.get(key)
        if future is None:
            future = asyncio.ensure_future(compute())
            self._summary_pending[key] = future
            future.add_done_callback(lambda _: self._summary_pending.pop(key, None))
        result = await asyncio.shield(future)
        self._summaries[key] = (deal, result)
        while len(self._summaries) > _SUMMARIES:
            self._summaries.popitem(last=False)
        return result
