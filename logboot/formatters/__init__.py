"""Formatters a profile can name (``text``, ``json``), and the compiled layouts behind them."""
