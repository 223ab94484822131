"""The one HTTP request of an attempt: https to the checked address with the host's name
for SNI and certificate checks, no redirects, bounded in time however the receiver
trickles its answer, and only a short excerpt of the answer kept."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.services.webhooks import addresses, transport
from chalicelib.services.webhooks.addresses import Target
from tests.services.webhooks.receiver import Receiver


def _certificate(subject: str, issuer_key, issuer_name, key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """A certificate authority of this test, and a server certificate for hooks.example.com."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portway test CA")])
    ca = _certificate("Portway test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate("hooks.example.com", ca_key, ca_name, key, ca=False)
    folder = tmp_path_factory.mktemp("tls")
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "leaf.pem", folder / "key.pem")
    return ca.public_bytes(serialization.Encoding.PEM).decode(), server


@pytest.fixture
def tls_receiver(authority):
    _, server_context = authority
    receiver = Receiver(tls=server_context)
    yield receiver
    receiver.close()


def _target(url: str) -> Target:
    scheme, host, port, path = addresses.parse(url, allow_loopback=True)
    return Target(scheme, host, port, path, ("127.0.0.1",))


def test_https_goes_to_the_checked_address_verifying_the_hosts_certificate(
    authority, tls_receiver, monkeypatch
):
    ca_pem, _ = authority
    monkeypatch.setattr(transport, "tls_context", lambda: ssl.create_default_context(cadata=ca_pem))
    # The name is never resolved here: the connection goes to 127.0.0.1, the name is used
    # for SNI, the certificate check and the Host header.
    monkeypatch.setattr(socket, "getaddrinfo", _no_resolution)
    url = tls_receiver.endpoint("hooks.example.com")

    outcome = transport.post(_target(url), {"webhook-id": "msg_1"}, b"{}")

    assert outcome.succeeded, outcome.error
    (seen,) = tls_receiver.for_path(url)
    assert seen.headers["host"] == f"hooks.example.com:{tls_receiver.port}"


def _no_resolution(*args, **kwargs):
    raise AssertionError("resolved a second time")


def test_a_certificate_for_another_name_is_a_failed_attempt(authority, tls_receiver, monkeypatch):
    ca_pem, _ = authority
    monkeypatch.setattr(transport, "tls_context", lambda: ssl.create_default_context(cadata=ca_pem))
    url = tls_receiver.endpoint("other.example.com")

    outcome = transport.post(_target(url), {}, b"{}")

    assert outcome.status is None
    assert outcome.error.startswith("TLS certificate not accepted"), outcome.error
    assert "other.example.com" in outcome.error
    assert tls_receiver.received == []


def test_an_unknown_authority_is_a_failed_attempt(tls_receiver):
    outcome = transport.post(_target(tls_receiver.endpoint("hooks.example.com")), {}, b"{}")

    assert outcome.status is None
    assert outcome.error.startswith("TLS certificate not accepted"), outcome.error


def _trickling_server(pause: float):
    """A server that answers one byte of its status line at a time, `pause` apart."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                if stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(pause)

    threading.Thread(target=serve, daemon=True).start()
    return listener, stop


def test_a_receiver_that_trickles_its_answer_is_cut_off(monkeypatch):
    monkeypatch.setattr(transport, "READ_TIMEOUT", 1.0)
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 1.0)
    listener, stop = _trickling_server(0.2)  # each byte within the read timeout
    port = listener.getsockname()[1]
    started = time.monotonic()
    try:
        outcome = transport.post(_target(f"http://127.0.0.1:{port}/hook"), {}, b"{}")
    finally:
        stop.set()
        listener.close()

    assert time.monotonic() - started < 3
    assert outcome.status is None
    assert outcome.error == "no complete answer within 1 s"


def test_a_refused_connection_and_a_long_answer(receiver_long_body):
    port = receiver_long_body
    outcome = transport.post(_target(f"http://127.0.0.1:{port}/"), {}, b"{}")
    assert outcome.status == 200
    assert len(outcome.excerpt) == transport.EXCERPT_CHARS
    assert "\x00" not in outcome.excerpt
    closed = socket.create_server(("127.0.0.1", 0))
    free_port = closed.getsockname()[1]
    closed.close()
    refused = transport.post(_target(f"http://127.0.0.1:{free_port}/"), {}, b"{}")
    assert refused.error == "connection refused"


@pytest.fixture
def receiver_long_body():
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            body = b"\x00secret-ish " * 10_000
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
