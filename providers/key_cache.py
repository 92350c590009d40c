"""The API keys a worker has found, kept for WSO_API_KEY_CACHE_SECONDS so that a look-up need not
read its key again: a key revoked, or its provider deactivated, in another process works here for
up to that long (docs/performance.md). Keyed by the key's hash: no plain key outlives its request.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class CachedKey:
    key_id: int
    provider_id: int
    active: bool
    read_at: float  # clock() when its row was read
    used_at: datetime  # last_used_at is next due a minute after this


class KeyCache:
    """At most `size` keys, each for `seconds`; the oldest read goes first when full."""

    def __init__(self, *, size: int, clock=time.monotonic):
        self.size = size
        self.clock = clock
        self._entries: dict[str, CachedKey] = {}
        self._lock = threading.Lock()

    def get(self, hashed: str, *, seconds: float) -> CachedKey | None:
        entry = self._entries.get(hashed)
        if entry is not None and not 0 <= self.clock() - entry.read_at < seconds:
            self.drop(hashed)
            return None
        return entry

    def put(self, hashed: str, entry: CachedKey) -> None:
        with self._lock:
            self._entries.pop(hashed, None)
            while len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
            self._entries[hashed] = entry

    def drop(self, hashed: str) -> None:
        self._entries.pop(hashed, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


live_keys = KeyCache(size=1000)
