"""Loading libwsc and the error mapping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import wsc
from wsc import errors

PKG = str(Path(__file__).resolve().parents[1])


def _python(code, env):
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=20, cwd=PKG)


def test_version():
    assert wsc.library_version() == "0.1.0"


def test_wsc_library_wrong_path_names_it():
    env = dict(os.environ, WSC_LIBRARY="/nonexistent/libwsc.so.0")
    r = _python("import wsc\ntry:\n wsc.connect('ws://x/')\nexcept wsc.LibraryNotFound as e:\n"
                " print('ERR', e)", env)
    assert "ERR" in r.stdout and "/nonexistent/libwsc.so.0" in r.stdout, r.stderr


def test_search_lists_places_tried():
    env = {k: v for k, v in os.environ.items() if k != "WSC_LIBRARY"}
    r = _python("import wsc\ntry:\n print('OK', wsc.library_version())\n"
                "except wsc.LibraryNotFound as e:\n print('ERR', e)", env)
    # Either a system/beside copy exists, or the error names every place tried.
    if r.stdout.startswith("ERR"):
        assert "WSC_LIBRARY" in r.stdout and "libwsc.so.0" in r.stdout
        assert "find_library" in r.stdout
    else:
        assert r.stdout.startswith("OK"), r.stderr


def test_status_mapping():
    assert isinstance(errors.error_for(errors.WSC_ETLS), wsc.TlsError)
    assert isinstance(errors.error_for(errors.WSC_EAGAIN), wsc.QueueFull)
    assert isinstance(errors.error_for(errors.WSC_ETIMEDOUT), wsc.Timeout)
    e = errors.error_for(errors.WSC_EHANDSHAKE, http_status=403)
    assert isinstance(e, wsc.HandshakeError) and e.status == 403
    c = errors.closed_error(errors.WSC_OK, 1000, "bye")
    assert isinstance(c, wsc.ConnectionClosedOK) and (c.code, c.reason) == (1000, "bye")
    c = errors.closed_error(errors.WSC_ELOST, 1006, "")
    assert isinstance(c, wsc.ConnectionClosedError) and c.wsc_status == errors.WSC_ELOST
    for cls in (wsc.ConnectionClosed, wsc.HandshakeError, wsc.TlsError, wsc.Timeout,
                wsc.QueueFull):
        assert issubclass(cls, wsc.WscError)
