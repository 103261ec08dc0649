"""Between logboot profiles and the standard library's ``dictConfig`` documents.

The public home of ``import_dictconfig`` and ``export_dictconfig`` (their code lives in
``logboot.interop``); see docs/migrating.md and docs/recipes.md.
"""

from logboot.interop.dictconfig import DictConfigError, export_dictconfig, read_dictconfig
from logboot.interop.dictconfig_import import import_dictconfig

__all__ = ["DictConfigError", "export_dictconfig", "import_dictconfig", "read_dictconfig"]
