"""Per-provider mappings of inbound deliveries: what a delivery is called, and how it translates
into `service.integrations.changes`. How a delivery is deduplicated is not the mapping's choice:
it follows from what the provider signs (`signatures.dedupe_key`).

Each module exposes `KEPT_HEADERS` (headers stored with a delivery, for display only),
`identify(document, headers) -> event type` and `translate(document, headers) -> Translation`
(raising `Unsupported` for what it does not cover, `Unreadable` for a payload it cannot read).
"""

from __future__ import annotations

from types import ModuleType

from service.integrations.models import Provider
from service.integrations.providers import ashby, greenhouse, lever, standard, workable

MAPPINGS: dict[Provider, ModuleType] = {
    Provider.GREENHOUSE: greenhouse,
    Provider.LEVER: lever,
    Provider.ASHBY: ashby,
    Provider.WORKABLE: workable,
    Provider.STANDARD: standard,
}
