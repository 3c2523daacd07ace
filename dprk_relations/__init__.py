"""The DPRK Relations dataset: validate, build, compare, verify, download and load it.

The public API is imported lazily, so that `import dprk_relations` (and the
command line's --help) does not pay for pandas, pyarrow and frictionless.
"""

from __future__ import annotations

import importlib

__all__ = ["validate", "fmt", "build", "diff", "release", "verify", "load", "fetch", "load_package",
           "raw_from_release"]

_API = {
    "validate": ("stages.validate", "validate"),
    "fmt": ("stages.fmt", "fmt"),
    "build": ("stages.build", "build"),
    "diff": ("stages.diff", "diff"),
    "release": ("stages.release", "release"),
    "verify": ("stages.verify", "verify"),
    "load": ("access.load", "load"),
    "fetch": ("access.download", "fetch"),
    "load_package": ("model.package", "load_package"),
    "raw_from_release": ("stages.rebuild", "raw_from_release"),
}


def __getattr__(name):
    if name in _API:
        module, attr = _API[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
