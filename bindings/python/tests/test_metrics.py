"""Metrics and library logging through the binding: the text of
wsc_loop_metrics_text read by prometheus_client's own parser, the collector
served by start_http_server and scraped over HTTP, and libwsc's log lines in
the logging module at the level asked for, with no secret in them."""

from __future__ import annotations

import logging
import urllib.request

import wsc
from conftest import free_port
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families
from wsc.metrics import WscCollector, metrics_text


def url(peer):
    return "ws://127.0.0.1:%d/" % peer.port


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(fams, family, sample, **labels):
    for s in fams[family].samples:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def test_metrics_text_is_prometheus_format_with_the_numbers(wsc_server):
    endpoint = "127.0.0.1:%d" % wsc_server.port
    with wsc.connect(url(wsc_server)) as ws:
        for i in range(7):
            ws.send("message %d" % i)
            assert ws.recv(timeout=5) == "message %d" % i
        fams = families(metrics_text())
        assert value(fams, "wsc_connections", "wsc_connections", endpoint=endpoint,
                     state="open") == 1
    assert fams["wsc_connections"].type == "gauge"
    assert fams["wsc_messages_sent"].type == "counter"
    assert value(fams, "wsc_messages_sent", "wsc_messages_sent_total", endpoint=endpoint) == 7
    assert value(fams, "wsc_messages_received", "wsc_messages_received_total",
                 endpoint=endpoint) == 7
    assert value(fams, "wsc_bytes_sent", "wsc_bytes_sent_total", endpoint=endpoint) == 7 * 9
    hs = fams["wsc_handshake_seconds"]
    assert hs.type == "histogram"
    assert value(fams, "wsc_handshake_seconds", "wsc_handshake_seconds_count",
                 endpoint=endpoint) == 1
    assert value(fams, "wsc_handshake_seconds", "wsc_handshake_seconds_bucket",
                 endpoint=endpoint, le="+Inf") == 1
    assert fams["wsc_rtt_seconds"].type == "histogram"
    # Counters stay after the connection is gone.
    after = families(metrics_text())
    assert value(after, "wsc_messages_sent", "wsc_messages_sent_total", endpoint=endpoint) == 7


def test_pool_gauges_in_the_metrics(wsc_server):
    endpoint = "127.0.0.1:%d" % wsc_server.port
    with wsc.Pool(url(wsc_server), max_conns=2) as pool:
        with pool.connection(timeout=10) as ws:
            ws.send("x")
            assert ws.recv(timeout=5) == "x"
            fams = families(metrics_text())
            assert value(fams, "wsc_pool_connections", "wsc_pool_connections",
                         endpoint=endpoint, phase="busy") == 1
            assert value(fams, "wsc_pool_breaker", "wsc_pool_breaker", endpoint=endpoint,
                         state="closed") == 1


def test_collector_is_served_by_start_http_server(wsc_server):
    registry = CollectorRegistry()
    WscCollector(registry=registry)
    port = free_port()
    start_http_server(port, addr="127.0.0.1", registry=registry)
    endpoint = "127.0.0.1:%d" % wsc_server.port
    with wsc.connect(url(wsc_server)) as ws:
        ws.send("scraped")
        assert ws.recv(timeout=5) == "scraped"
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
            body = r.read().decode()
    fams = families(body)
    assert value(fams, "wsc_connections", "wsc_connections", endpoint=endpoint,
                 state="open") == 1
    assert value(fams, "wsc_messages_received", "wsc_messages_received_total",
                 endpoint=endpoint) >= 1


def test_collector_registers_with_the_default_registry():
    from prometheus_client import REGISTRY, generate_latest
    collector = WscCollector()
    try:
        assert b"# TYPE wsc_connections gauge" in generate_latest(REGISTRY)
    finally:
        REGISTRY.unregister(collector)


def test_library_logging_routes_to_the_wsc_logger(wsc_server, caplog):
    endpoint = "127.0.0.1:%d" % wsc_server.port
    caplog.set_level(logging.DEBUG, logger="wsc")
    wsc.enable_library_logging(logging.INFO)
    try:
        with wsc.connect(url(wsc_server) + "?token=s3cr3t",
                         headers={"Authorization": "Bearer t0ken"}) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "hi"
    finally:
        wsc.disable_library_logging()
    lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("wsc", logging.INFO) in {(n, lv) for n, lv, m in lines if m.startswith(
        "open " + endpoint)}, lines
    assert any(m.startswith("closed " + endpoint + ": code 1000") for _, _, m in lines), lines
    # INFO asked for: no library debug line ("connecting to ...") was made.
    assert not any(m.startswith("connecting to") for _, _, m in lines), lines
    assert not any("s3cr3t" in m or "t0ken" in m for _, _, m in lines), lines
    caplog.clear()
    with wsc.connect(url(wsc_server)) as ws:
        ws.send("quiet")
        assert ws.recv(timeout=5) == "quiet"
    assert not any(r.getMessage().startswith("open ") for r in caplog.records)


def test_library_logging_debug_level(wsc_server, caplog):
    caplog.set_level(logging.DEBUG, logger="wsc")
    wsc.enable_library_logging(logging.DEBUG)
    try:
        with wsc.connect(url(wsc_server)) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "hi"
    finally:
        wsc.disable_library_logging()
    msgs = [r.getMessage() for r in caplog.records if r.name == "wsc"]
    assert any(m.startswith("connecting to 127.0.0.1:%d" % wsc_server.port) for m in msgs), msgs
