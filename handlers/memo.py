"""A small bounded map for what a sender learns within one process (LRU)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

SIZE = 2000


class Memo(OrderedDict[Any, Any]):
    """A small LRU map: the oldest entries go once it holds `size` of them."""

    def __init__(self, size: int = SIZE) -> None:
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        """Remember `value` under `key` (as the newest entry)."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class Recent(Memo):
    """A Memo whose entries count only for `ttl` seconds after they were put."""

    def __init__(
        self, ttl: float, size: int = SIZE, now: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(size)
        self.ttl = ttl
        self.now = now

    def put(self, key: Any, value: Any) -> None:
        """Remember `value` under `key` from now for `ttl` seconds."""
        super().put(key, (self.now() + self.ttl, value))

    def fresh(self, key: Any) -> Any:
        """The value under `key` while it is fresh, else None."""
        entry = self.get(key)
        if entry is None or entry[0] <= self.now():
            return None
        return entry[1]
