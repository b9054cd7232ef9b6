"""The worker engine: a supervisor, its process pool and the events between."""
