"""logboot where only ``dictConfig`` is spoken: uvicorn, gunicorn, Django, and their workers.

The public home of ``ProfileHandler`` (the handler every exported ``dictConfig`` document
names as ``logboot.integrations.ProfileHandler``) and gunicorn's ``post_fork`` hook; their
code lives in ``logboot.interop.integrations``.
"""

from logboot.interop.integrations import ProfileHandler, post_fork

__all__ = ["ProfileHandler", "post_fork"]
