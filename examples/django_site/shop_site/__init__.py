"""A one-page Django site whose logging goes through logboot (see settings.LOGGING)."""
