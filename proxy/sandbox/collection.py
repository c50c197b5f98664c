"""A list kept sorted by `(created_at, id)`, serving newest-first pages by bisection."""

import bisect
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from proxy.sandbox.cursors import SortKey

T = TypeVar("T")


class SortedCollection(Generic[T]):
    """Items by id, plus their sort keys ascending; pages are read from the top down."""

    def __init__(self, key_of: Callable[[T], SortKey]) -> None:
        self._key_of = key_of
        self._keys: list[SortKey] = []
        self._by_id: dict[str, T] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, item_id: str) -> T | None:
        return self._by_id.get(item_id)

    def add(self, item: T) -> None:
        key = self._key_of(item)
        if key.id in self._by_id:
            raise ValueError(f"duplicate id {key.id}")
        bisect.insort(self._keys, key)
        self._by_id[key.id] = item

    def extend(self, items: Iterable[T]) -> None:
        """Adds many at once: one sort instead of an insertion per item."""
        fresh = list(items)
        new_ids = {self._key_of(item).id for item in fresh}
        if len(new_ids) != len(fresh) or not new_ids.isdisjoint(self._by_id):
            raise ValueError("duplicate ids")
        self._keys.extend(self._key_of(item) for item in fresh)
        self._keys.sort()
        self._by_id.update((self._key_of(item).id, item) for item in fresh)

    def newest_first(self, after: SortKey | None = None) -> Iterator[T]:
        """Items strictly older than `after` (all when None), newest first."""
        stop = len(self._keys) if after is None else bisect.bisect_left(self._keys, after)
        for index in range(stop - 1, -1, -1):
            yield self._by_id[self._keys[index].id]

    def page(
        self,
        after: SortKey | None,
        limit: int,
        keep: Callable[[T], bool] | None = None,
    ) -> tuple[list[T], SortKey | None]:
        """Up to `limit` items after `after`, and where to resume if more remain."""
        items: list[T] = []
        for item in self.newest_first(after):
            if keep is not None and not keep(item):
                continue
            if len(items) == limit:
                return items, self._key_of(items[-1])
            items.append(item)
        return items, None
