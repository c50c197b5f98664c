"""An in-memory Moda REST API (2026-05-01): the proxy's embedded default upstream.

Imported only where it is used (`proxy.sandbox.app`): a proxy in front of the real Moda never
pays for it.
"""
