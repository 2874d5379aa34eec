"""Delivering change events to the host application: the pull feed and signed webhooks.

It reads the outbox through the store's protocols (``app.scim.store``), never inside a
SCIM request, and is wired into the process by ``app.main`` and the CLI.
"""
