"""Who may call the API: open access on loopback, the host names requests may address.

The keys themselves live in :mod:`assistant.stores.keys`.
"""

from __future__ import annotations

import ipaddress

from assistant.settings import MetricsAccess, ServerSettings


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_access(server: ServerSettings) -> bool:
    """Whether requests without a key are served: the setting, else only on loopback."""
    if server.open_access is not None:
        return server.open_access
    return is_loopback(server.host)


def metrics_access(server: ServerSettings) -> MetricsAccess:
    """Who may read /metrics: the setting, else anyone on loopback and admin keys elsewhere."""
    if server.metrics is not None:
        return server.metrics
    return "open" if is_loopback(server.host) else "admin"


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(server: ServerSettings) -> list[str]:
    """Host names requests may address: the setting, else loopback names on loopback, else any."""
    if server.allowed_hosts is not None:
        return list(server.allowed_hosts)
    return list(LOOPBACK_HOSTS) if is_loopback(server.host) else ["*"]
