"""Operating a running service: live reload now, runtime control next.

This folder sits above both halves of the house, like ``logboot.bootstrap``: it validates a
profile again (``logboot.profile``) and swaps its topology into the running runtime
(``logboot.runtime``), which itself never imports validation.
"""
