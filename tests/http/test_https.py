"""HTTPS: with SCIM_SSL_CERTFILE and SCIM_SSL_KEYFILE set, ``python -m app serve`` speaks TLS.

Okta and Entra only provision over HTTPS with a certificate they trust (RFC 7644 §7.1: TLS is
required). A throwaway CA (trustme) signs a certificate for 127.0.0.1; the client trusts only
that CA and verifies the certificate, so a server that fell back to plain HTTP, or served an
unverifiable certificate, fails the test.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.conftest import USER_SCHEMA
from tests.live import LiveServer, serve


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_server(
    authority: trustme.CA, live_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    """A second live server on the live database, serving HTTPS with a certificate of the CA."""
    directory = tmp_path_factory.mktemp("tls")
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, ca_file = (directory / n for n in ("cert.pem", "key.pem", "ca.pem"))
    certificate.cert_chain_pems[0].write_to_path(str(certfile))
    for blob in certificate.cert_chain_pems[1:]:
        blob.write_to_path(str(certfile), append=True)
    certificate.private_key_pem.write_to_path(str(keyfile))
    authority.cert_pem.write_to_path(str(ca_file))
    env = {"SCIM_SSL_CERTFILE": str(certfile), "SCIM_SSL_KEYFILE": str(keyfile)}
    context = ssl.create_default_context(cafile=str(ca_file))
    with serve(live_database_url, directory / "server.log", env=env, verify=context) as s:
        yield s, str(ca_file)


def test_server_provisions_a_user_over_verified_tls(tls_server: tuple[LiveServer, str]) -> None:
    server, ca_file = tls_server
    assert server.base_url.startswith("https://")
    context = ssl.create_default_context(cafile=ca_file)
    with httpx.Client(base_url=server.base_url, headers=server.headers, verify=context) as client:
        created = client.post("/Users", json={"schemas": [USER_SCHEMA], "userName": "tls.user"})
        assert created.status_code == 201, created.text
        assert created.json()["meta"]["location"].startswith("https://127.0.0.1:")
        fetched = client.get(f"/Users/{created.json()['id']}")
        assert fetched.status_code == 200
        assert fetched.json()["userName"] == "tls.user"


def test_server_certificate_is_rejected_without_the_ca(tls_server: tuple[LiveServer, str]) -> None:
    """Verification is really on: the system trust store does not know the throwaway CA."""
    server, _ = tls_server
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{server.base_url}/ServiceProviderConfig", headers=server.headers)


def test_certificate_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from app.settings import Settings

    monkeypatch.setenv("SCIM_SSL_CERTFILE", str(tmp_path / "c.pem"))
    monkeypatch.setenv("SCIM_SSL_KEYFILE", str(tmp_path / "k.pem"))
    settings = Settings()
    assert (settings.ssl_certfile, settings.ssl_keyfile) == (
        str(tmp_path / "c.pem"),
        str(tmp_path / "k.pem"),
    )
