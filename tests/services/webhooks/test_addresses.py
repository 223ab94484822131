"""Where a webhook may go (SSRF rules): https to public addresses only, every address a name
resolves to checked, loopback only where the stage allows it."""

from __future__ import annotations

import ipaddress

import pytest

from chalicelib.services.webhooks import addresses
from chalicelib.services.webhooks.addresses import Refused, check, classify

REFUSED_ADDRESSES = {
    "127.0.0.1": "loopback address",
    "127.255.0.9": "loopback address",
    "10.0.0.1": "private address",
    "172.16.4.2": "private address",
    "192.168.1.1": "private address",
    "169.254.169.254": "cloud metadata address",
    "169.254.170.2": "cloud metadata address",
    "fd00:ec2::254": "cloud metadata address",
    "169.254.1.1": "link-local address",
    "fe80::1": "link-local address",
    "100.64.0.1": "carrier-grade NAT address",
    "100.127.255.254": "carrier-grade NAT address",
    "224.0.0.1": "multicast address",
    "239.1.2.3": "multicast address",
    "ff02::1": "multicast address",
    "0.0.0.0": "unspecified address",
    "::": "unspecified address",
    "::1": "loopback address",
    "fc00::1": "private address",
    "192.0.2.10": "private address",
    "240.0.0.1": "private address",
    "255.255.255.255": "private address",
    "::ffff:127.0.0.1": "loopback address (in IPv6 ::ffff:7f00:1)",
    "::ffff:10.0.0.1": "private address (in IPv6 ::ffff:a00:1)",
    "::ffff:169.254.169.254": "cloud metadata address (in IPv6 ::ffff:a9fe:a9fe)",
    "2002:a00:1::": "private address (in IPv6 2002:a00:1::)",
    "64:ff9b::a9fe:a9fe": "cloud metadata address (in IPv6 64:ff9b::a9fe:a9fe)",
}
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.215.14"]


@pytest.mark.parametrize(("text", "reason"), sorted(REFUSED_ADDRESSES.items()))
def test_addresses_that_are_not_public_are_refused_with_their_reason(text, reason):
    assert classify(ipaddress.ip_address(text)) == reason


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_allowed(text):
    assert classify(ipaddress.ip_address(text)) is None


@pytest.fixture
def names(monkeypatch):
    """Host names that resolve as the test says, counting every resolution."""
    table: dict[str, list[str]] = {}
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host in table:
            return table[host]
        return addresses._system_resolve(host, port)  # IP literals and localhost

    monkeypatch.setattr(addresses, "resolve", resolve)
    table["asked"] = asked  # type: ignore[assignment]
    return table


BAD_URLS = {
    "http://hooks.example.com/portway": "the URL must use https",
    "ftp://hooks.example.com/portway": "the URL must use https",
    "https://localhost/hook": "loopback address",
    "https://localhost./hook": "loopback address",
    "https://10.0.0.1/hook": "private address 10.0.0.1",
    "https://169.254.169.254/latest/meta-data/": "cloud metadata address 169.254.169.254",
    "https://[::1]/hook": "loopback address ::1",
    "https://[::ffff:127.0.0.1]/hook": "loopback address",
    "https://[fd00:ec2::254]/latest": "cloud metadata address",
    "https://2130706433/hook": "loopback address 127.0.0.1",  # 127.0.0.1 as one number
    "https://0x7f.1/hook": "loopback address 127.0.0.1",
    "https://0/hook": "unspecified address 0.0.0.0",
    "https://100.64.1.1/hook": "carrier-grade NAT address",
    "https://224.0.0.251/hook": "multicast address",
    "https://internal.example.com/hook": "private address 10.1.2.3 (the host "
    "internal.example.com resolves to it)",
    "https://mixed.example.com/hook": "private address 192.168.0.7",
    "https://user:secret@hooks.example.com/x": "the URL may not carry a user name or password",
    "https://hooks.example.com/x#frag": "the URL may not have a fragment",
    "https:///nohost": "the URL has no host",
    "https://hooks.example.com:99999/x": "the URL cannot be read",
    "https://hooks.example.com/a b": "the URL must be at most 2048 visible ASCII characters",
    "https://hooks.example.com/" + "a" * 2048: "at most 2048",
    "https://nowhere.invalid/hook": "does not resolve",
}


@pytest.mark.parametrize(("url", "reason"), sorted(BAD_URLS.items()))
def test_bad_urls_are_refused_with_the_reason(names, url, reason):
    names["internal.example.com"] = ["10.1.2.3"]
    names["mixed.example.com"] = ["93.184.215.14", "192.168.0.7"]
    names["hooks.example.com"] = ["93.184.215.14"]
    with pytest.raises(Refused) as refused:
        check(url, allow_loopback=False)
    assert reason in refused.value.reason


def test_a_public_name_is_a_target_with_its_checked_addresses(names):
    names["hooks.example.com"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]

    target = check("https://Hooks.Example.com:8443/portway?tenant=7", allow_loopback=False)

    assert target.scheme == "https"
    assert target.host == "hooks.example.com"
    assert target.port == 8443
    assert target.path == "/portway?tenant=7"
    assert target.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert target.host_header == "hooks.example.com:8443"
    assert names["asked"] == ["hooks.example.com"]  # resolved once


def test_loopback_and_http_to_it_only_where_the_stage_allows(names):
    names["receiver.test"] = ["127.0.0.1"]
    names["public.test"] = ["93.184.215.14"]

    assert check("http://127.0.0.1:8080/hook", allow_loopback=True).addresses == ("127.0.0.1",)
    assert check("http://[::1]:8080/hook", allow_loopback=True).host_header == "[::1]:8080"
    assert check("http://receiver.test:8080/h", allow_loopback=True).addresses == ("127.0.0.1",)
    assert check("https://localhost/h", allow_loopback=True).scheme == "https"
    # http only to loopback: a public name still needs https, and private stays refused.
    with pytest.raises(Refused, match="must use https"):
        check("http://public.test/hook", allow_loopback=True)
    with pytest.raises(Refused, match="private address"):
        check("https://10.0.0.1/hook", allow_loopback=True)
    with pytest.raises(Refused, match="cloud metadata"):
        check("http://169.254.169.254/latest", allow_loopback=True)
    for url in ("https://127.0.0.1:8080/hook", "https://receiver.test/h", "https://[::1]/h"):
        with pytest.raises(Refused, match="loopback"):
            check(url, allow_loopback=False)


def test_the_setting_allows_loopback_only_in_local_and_test_stages():
    from chalicelib.settings import Settings
    from tests.conftest import deployed_env

    for stage, allowed in (("local", True), ("test", True), ("dev", False), ("prod", False)):
        env = deployed_env(stage, PORTWAY_WEBHOOK_ALLOW_LOOPBACK="true")
        assert Settings.from_env(env).webhook_allow_loopback is allowed, stage
    off = {"PORTWAY_STAGE": "test", "PORTWAY_WEBHOOK_ALLOW_LOOPBACK": "false"}
    assert Settings.from_env(off).webhook_allow_loopback is False
