"""A bounded mapping for in-process caches: a long-running bot in a busy community must not
grow without limit. The least recently used entry goes first."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Hashable, Iterator, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``maxsize`` entries; reading or writing one makes it the most recent."""

    __slots__ = ("maxsize", "_data")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        data = self._data
        if key in data:
            data.move_to_end(key)
            return data[key]
        return default

    def __setitem__(self, key: K, value: V) -> None:
        data = self._data
        data[key] = value
        data.move_to_end(key)
        if len(data) > self.maxsize:
            data.popitem(last=False)

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __delitem__(self, key: K) -> None:
        del self._data[key]

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._data))

    def pop_oldest(self) -> tuple[K, V]:
        """The least recently used entry, removed (KeyError when empty)."""
        if not self._data:
            raise KeyError("empty")
        return self._data.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        return self._data.pop(key, default)

    def setdefault(self, key: K, default: V) -> V:
        if key in self._data:
            return self[key]
        self[key] = default
        return default

    def clear(self) -> None:
        self._data.clear()
