"""Every worker's Prometheus exposition as one, each sample labelled with its worker's index."""

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

WORKER_LABEL = "worker"


def parse(text: str) -> list[Metric]:
    """A text exposition's families; ValueError when it is not one."""
    try:
        return list(text_string_to_metric_families(text))
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"not a Prometheus text exposition: {exc}") from exc


def merge(per_worker: Mapping[int, Iterable[Metric]]) -> list[Metric]:
    """Each worker's families, one family per name holding every worker's labelled samples."""
    families: dict[str, Metric] = {}
    for index, worker_families in per_worker.items():
        worker = str(index)
        for family in worker_families:
            merged = families.get(family.name)
            if merged is None:
                merged = families[family.name] = Metric(
                    family.name, family.documentation, family.type, family.unit
                )
            merged.samples.extend(
                sample._replace(labels={**sample.labels, WORKER_LABEL: worker})
                for sample in family.samples
            )
    return list(families.values())


class _Families:
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def render(families: Iterable[Metric]) -> bytes:
    """The families in Prometheus' text format."""
    registry = CollectorRegistry()
    registry.register(_Families(families))
    return generate_latest(registry)
