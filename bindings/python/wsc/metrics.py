"""Prometheus metrics of a wsc loop (needs ``prometheus_client``; Debian:
python3-prometheus-client).

::

    from prometheus_client import start_http_server
    from wsc.metrics import WscCollector

    WscCollector()          # registers itself with prometheus_client's REGISTRY
    start_http_server(8000)

Every Python connection and pool runs on libwsc's default loop, so the
collector reads that one unless given another loop handle. The numbers are
labelled per endpoint (``host:port``): connections by state, attempts,
opens, errors by status, reconnects, messages and bytes both ways (payload
and wire), queue depths, discarded messages, RTT and handshake histograms,
and pool gauges and totals. A scrape costs the library one snapshot; the
data path pays nothing for it.
"""

from __future__ import annotations

import ctypes
from typing import Iterator, Optional

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import REGISTRY, CollectorRegistry

from . import _lib

WSC_EINVAL = -1


def metrics_text(loop: Optional[int] = None) -> str:
    """The loop's metrics in the Prometheus text format (``wsc_loop_metrics_text``)."""
    lib = _lib.lib()
    needed = ctypes.c_size_t(0)
    size = 16384
    while True:
        buf = ctypes.create_string_buffer(size)
        rc = lib.wsc_loop_metrics_text(loop, buf, size, ctypes.byref(needed))
        if rc == 0:
            return buf.value.decode("utf-8", "replace")
        if rc != WSC_EINVAL or needed.value <= size:
            raise _lib.fail(rc)
        # Grown since it was measured: ask again with room to spare.
        size = needed.value + needed.value // 4


class WscCollector:
    """A ``prometheus_client`` collector for one wsc loop (default: the
    default loop every Python connection uses). Registers itself with
    ``registry`` (``REGISTRY`` unless given; ``None`` to not register)."""

    def __init__(self, loop: Optional[int] = None,
                 registry: Optional[CollectorRegistry] = REGISTRY) -> None:
        self._loop = loop
        if registry is not None:
            registry.register(self)

    def collect(self) -> Iterator[Metric]:
        yield from text_string_to_metric_families(metrics_text(self._loop))
