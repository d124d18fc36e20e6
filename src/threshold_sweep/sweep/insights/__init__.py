"""Plain sentences about a sweep, each produced by a rule over the computed numbers."""
