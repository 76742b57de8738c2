"""PEP 517 shim: setuptools.build_meta from the *system* Python installation.

pip's build isolation hides the system site-packages, and an offline machine
cannot download setuptools into the isolated environment. This shim adds the
interpreter's own site directories back (only when setuptools is not already
importable) and then re-exports setuptools' hooks unchanged.
"""

import site
import sys


def _system_setuptools():
    try:
        import setuptools.build_meta as meta  # noqa: F401
        return meta
    except ImportError:
        pass
    dirs = []
    try:
        dirs += site.getsitepackages()
    except AttributeError:
        pass
    # Debian keeps its python3-* modules here.
    dirs += ["/usr/lib/python3/dist-packages"]
    for d in dirs:
        if d not in sys.path:
            sys.path.append(d)
    import setuptools.build_meta as meta
    return meta


_meta = _system_setuptools()



def _missing(requirements):
    """Drop requirements the system already provides (setuptools asks for
    `wheel`, which Debian's python3-wheel supplies), so pip downloads nothing."""
    import importlib.util
    import re
    out = []
    for req in requirements:
        name = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().replace("-", "_")
        if importlib.util.find_spec(name) is None:
            out.append(req)
    return out


def get_requires_for_build_wheel(config_settings=None):
    return _missing(_meta.get_requires_for_build_wheel(config_settings))


def get_requires_for_build_sdist(config_settings=None):
    return _missing(_meta.get_requires_for_build_sdist(config_settings))


build_wheel = _meta.build_wheel
build_sdist = _meta.build_sdist
prepare_metadata_for_build_wheel = _meta.prepare_metadata_for_build_wheel
if hasattr(_meta, "build_editable"):
    build_editable = _meta.build_editable

    def get_requires_for_build_editable(config_settings=None):
        return _missing(_meta.get_requires_for_build_editable(config_settings))

    prepare_metadata_for_build_editable = _meta.prepare_metadata_for_build_editable
