"""logboot where other tools speak ``dictConfig``: import and export, server integrations."""
