"""Valid settings for each of candor's own adapters, their secrets marked with a canary.

Every secret setting holds ``canary(name, key)``: a value no other setting
holds, so a test can look for it anywhere it must not be.
"""

from __future__ import annotations

from typing import Any


def canary(adapter: str, key: str) -> str:
    """The canary planted in ``adapter``'s secret setting ``key``."""
    return f"CANARY-{adapter}-{key}-7f3a9c2e".replace("_", "-")


#: adapter -> settings with every secret a canary; the secret keys, separately.
SETTINGS: dict[str, dict[str, Any]] = {
    "console": {},
    "static_site": {"path": "site"},
    "webhook": {
        "url": "https://hooks.example.com/" + canary("webhook", "url"),
        "secret": canary("webhook", "secret"),
        "headers": {"Authorization": "Bearer " + canary("webhook", "headers")},
    },
    "statuspage": {"page_id": "page1", "api_key": canary("statuspage", "api_key")},
    "cachet": {"base_url": "https://status.example.com", "token": canary("cachet", "token")},
    "instatus": {"page_id": "page1", "api_key": canary("instatus", "api_key")},
    "mastodon": {
        "base_url": "https://hachyderm.io",
        "access_token": canary("mastodon", "access_token"),
    },
    "bluesky": {
        "identifier": "status.example.com",
        "app_password": canary("bluesky", "app_password"),
    },
    "email": {
        "host": "smtp.example.org",
        "from": "Example Status <status@example.org>",
        "username": "status@example.org",
        "password": canary("email", "password"),
        "secret": canary("email", "secret"),
    },
    "x": {
        "api_key": canary("x", "api_key"),
        "api_secret": canary("x", "api_secret"),
        "access_token": canary("x", "access_token"),
        "access_token_secret": canary("x", "access_token_secret"),
    },
}

SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "webhook": ("url", "secret", "headers"),
    "statuspage": ("api_key",),
    "cachet": ("token",),
    "instatus": ("api_key",),
    "mastodon": ("access_token",),
    "bluesky": ("app_password",),
    "email": ("password", "secret"),
    "x": ("api_key", "api_secret", "access_token", "access_token_secret"),
}


def canaries() -> list[str]:
    """Every canary planted in :data:`SETTINGS`."""
    return [canary(adapter, key) for adapter, keys in SECRET_KEYS.items() for key in keys]
