"""One credential's isolated world: seeded lists, tasks, credits, idempotency keys."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from proxy.core.payload import JSONObject
from proxy.sandbox import history, seed
from proxy.sandbox.collection import SortedCollection
from proxy.sandbox.cursors import SortKey
from proxy.sandbox.exports import Export
from proxy.sandbox.factories import event_item
from proxy.sandbox.settings import SandboxSettings
from proxy.sandbox.stamps import digest_int, fresh_id, iso
from proxy.sandbox.tasks import CREDITS_USED, Task
from proxy.sandbox.uploads import Uploads

Effect = Callable[[datetime], None]
CAPPED_KINDS: Final = frozenset({"design", "remix"})


def item_key(item: JSONObject) -> SortKey:
    return SortKey(item["created_at"], item["id"])


def task_key(task: Task) -> SortKey:
    return SortKey(iso(task.created_wall), task.id)


@dataclass(frozen=True)
class IdempotencyRecord:
    """What an idempotency key started (a task, or a manually created brand kit)."""

    fingerprint: str
    resource_id: str


class Account:
    """Seeded from `credential` (a token digest): a token always sees the same data."""

    def __init__(self, credential: str, settings: SandboxSettings) -> None:
        self.credential = credential
        self.me = seed.identity_for(credential)
        self.credits_limit = settings.credits_limit
        self.credits_remaining = max(
            0, settings.credits_limit - digest_int(credential, "spent") % 400
        )
        self.canvases: SortedCollection[JSONObject] = SortedCollection(item_key)
        self.brand_kits: SortedCollection[JSONObject] = SortedCollection(item_key)
        self.organizations: SortedCollection[JSONObject] = SortedCollection(item_key)
        self.events: SortedCollection[JSONObject] = SortedCollection(item_key)
        self.tasks: SortedCollection[Task] = SortedCollection(task_key)
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.kit_idempotency: dict[str, IdempotencyRecord] = {}
        self.conversations: dict[str, str] = {}
        self.uploads = Uploads()
        self.exports: dict[str, Export] = {}
        self._pending: dict[str, tuple[Task, Effect]] = {}
        self._seeded = {"canvases": 0, "brand_kits": 0, "events": 0}
        self._seed(settings)

    def _seed(self, settings: SandboxSettings) -> None:
        self.add_canvases(settings.seed_canvases)
        self.add_brand_kits(settings.seed_brand_kits)
        self.add_events(settings.seed_events)
        self.organizations.extend(
            seed.organizations(self.credential, self.me, settings.seed_organizations)
        )
        canvases = list(self.canvases.newest_first())
        kits = list(self.brand_kits.newest_first())
        past = history.historical_tasks(
            self.credential, settings.seed_tasks, canvases, kits, self.credits_remaining
        )
        self.tasks.extend(past)
        for task in past:
            result = task.planned_result
            if task.kind == "design" and result is not None and task.credits is not None:
                self.conversations[result["conversation_id"]] = result["canvas_id"]

    def add_canvases(self, count: int) -> list[JSONObject]:
        """Seeds `count` more canvases, each older than every one seeded before."""
        items = seed.canvases(
            self.credential, self._advance("canvases", count), count, self.me.user
        )
        self.canvases.extend(items)
        return items

    def add_brand_kits(self, count: int) -> list[JSONObject]:
        items = seed.brand_kits(self.credential, self._advance("brand_kits", count), count)
        self.brand_kits.extend(items)
        return items

    def add_events(self, count: int) -> list[JSONObject]:
        items = seed.events(self.credential, self._advance("events", count), count)
        self.events.extend(items)
        return items

    def _advance(self, name: str, count: int) -> int:
        start = self._seeded[name]
        self._seeded[name] = start + count
        return start

    def record_event(self, type_: str, method: str, path: str, status: int, when: datetime) -> None:
        """Only writes are logged, so walking a list never changes the list."""
        event = event_item(
            event_id=fresh_id("evt"),
            type_=type_,
            created_at=when,
            method=method,
            path=path,
            status=status,
        )
        self.events.add(event)

    def start_task(self, task: Task, on_success: Effect) -> None:
        self.tasks.add(task)
        self._pending[task.id] = (task, on_success)

    def settle(self, now: float) -> None:
        """Applies what finished tasks made: new canvases or kits, credits spent."""
        done = [entry for entry in self._pending.values() if entry[0].is_terminal(now)]
        for task, on_success in sorted(
            done, key=lambda entry: entry[0].wall_at(entry[0].terminal_at)
        ):
            del self._pending[task.id]
            if task.status(task.elapsed(now)) == "succeeded":
                on_success(task.wall_at(task.terminal_at))
                self.charge(task)

    def charge(self, task: Task, used: int | None = None) -> None:
        used = CREDITS_USED.get(task.kind, 0) if used is None else used
        self.credits_remaining = max(0, self.credits_remaining - used)
        task.credits = {
            "credits_used": used,
            "credits_remaining": self.credits_remaining,
        }

    def active_capped_tasks(self, now: float) -> int:
        """Queued or running design and remix tasks: what the concurrency cap counts."""
        return sum(
            1
            for task, _ in self._pending.values()
            if task.kind in CAPPED_KINDS and not task.is_terminal(now)
        )

    def pending_tasks(self) -> list[Task]:
        return [task for task, _ in self._pending.values()]
