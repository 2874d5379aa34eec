"""What Okta and Entra send that a strict reading of RFC 7643/7644 would refuse.

Each tolerance is a small function applied to the raw payload before scim2-models
validates it, logged at debug level with its name, and proven by the test named in its
docstring.
"""

from __future__ import annotations

import logging
from typing import Any

from scim2_models import EnterpriseUser

logger = logging.getLogger("app.scim.policy")

ENTERPRISE_URN = str(EnterpriseUser.__schema__)


def _fired(name: str) -> None:
    logger.debug("tolerance fired: %s", name)


def manager_reference(payload: dict[str, Any], users_url: str) -> None:
    """Give ``manager`` the ``$ref`` RFC 7643 §4.3 requires when only ``value`` is sent.

    Okta and Entra send ``{"manager": {"value": "id"}}``.
    Test: tests/http/test_users_create.py::test_manager_without_ref_gets_one.
    """
    for key, extension in payload.items():
        if key.lower() != ENTERPRISE_URN.lower() or not isinstance(extension, dict):
            continue
        for name, manager in extension.items():
            if name.lower() != "manager" or not isinstance(manager, dict):
                continue
            value = manager.get("value")
            if isinstance(value, str) and value and not manager.get("$ref"):
                manager["$ref"] = f"{users_url}/{value}"
                _fired("manager_reference")


SERVER_OWNED = ("id", "meta")


def drop_server_owned(payload: dict[str, Any]) -> None:
    """Ignore client-sent ``id`` and ``meta`` whatever their shape (RFC 7643 §3.1).

    Okta's custom-app flow PUTs the resource it read, ``id`` and ``meta`` included.
    Test: tests/http/test_users_replace.py::test_put_ignores_id_and_meta_from_okta.
    """
    for key in [k for k in payload if k.lower() in SERVER_OWNED]:
        del payload[key]
        _fired("drop_server_owned")
