"""Routes on which the proxy honours `Prefer: wait` itself, for every version it serves.

Moda holds `Prefer: wait` for up to 30 s, longer than many gateways allow; the proxy holds it
within its own budget instead, and also on `GET /v1/tasks/{id}`, which Moda answers at once.
"""

from typing import Final

from proxy.core.prefer import WaitRoutes
from proxy.core.routes import Route, RouteTable
from translations.common import CANCEL_TASK, GET_TASK, REMIX, START_TASK

CREATE_BRAND_KIT: Final = Route("POST", "/v1/brand-kits")
WAIT_ROUTES: Final = WaitRoutes(
    held=RouteTable.of([START_TASK, CANCEL_TASK, REMIX, CREATE_BRAND_KIT, GET_TASK]),
    # Waiters on one task share the proxy's polls of it from their first plain read on.
    shared_read=GET_TASK,
)
