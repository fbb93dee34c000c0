"""The central queue API: server, queue rules, stores and the client the apps use."""

__version__ = "0.1.0"
