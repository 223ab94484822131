"""Logs as JSON lines with the request's keys and never a secret; unexpected errors and
failed stream records counted as metrics (CloudWatch's embedded metric format)."""

from __future__ import annotations

import io
import json

from chalicelib.handlers import consumers
from chalicelib.services.fleet import customers


def _metrics(out: str) -> dict[str, float]:
    """The metrics in the embedded-metric-format documents printed to stdout."""
    found: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Portway"
            for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = document[metric["Name"]]
                found[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return found


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_request_lines_carry_the_keys_and_no_secret(api, tenant, logged):
    stream = logged
    password = "Geheim-Passwort-42"
    assert api.get("/v1/customers?limit=5").status_code == 200
    refused = api.as_key(None).post(
        "/v1/team/sessions", {"tenant": "x", "email": "ann@example.com", "password": password}
    )
    assert refused.status_code == 401
    lines = _lines(stream)
    done = [line for line in lines if line["message"] == "answered"]
    assert [(d["method"], d["route"], d["status"]) for d in done] == [
        ("GET", "/v1/customers", 200),
        ("POST", "/v1/team/sessions", 401),
    ]
    assert done[0]["tenant_id"] == tenant.id
    assert "tenant_id" not in done[1]  # the next request starts clean
    for line in done:
        assert line["service"] == "portway"
        assert line["level"] == "INFO"
        assert line["duration_ms"] >= 0
    text = stream.getvalue()
    assert api.key not in text
    assert password not in text
    assert "limit=5" not in text  # query strings are never logged


def test_an_unexpected_error_is_logged_with_its_trace_and_counted(
    api, tenant, logged, monkeypatch, capsys
):
    stream = logged

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the customer list")

    monkeypatch.setattr(customers, "list_customers", broken)
    answer = api.get("/v1/customers")
    assert answer.status_code == 500
    assert "bug" not in answer.body.decode()  # the details stay in the log
    errors = [line for line in _lines(stream) if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert "RuntimeError: a bug in the customer list" in errors[0]["exception"]
    assert errors[0]["tenant_id"] == tenant.id
    assert errors[0]["route"] == "/v1/customers"
    metrics = _metrics(capsys.readouterr().out)
    assert metrics == {"UnexpectedErrors": 1, "ServerErrors": 1}


def test_a_client_error_counts_nothing(api, logged, capsys):
    assert api.get("/v1/customers/cus_nope").status_code == 404
    assert _metrics(capsys.readouterr().out) == {}


def test_a_consumer_counts_the_records_it_could_not_handle(monkeypatch, capsys, logged):
    stream = logged

    def failing(event):
        raise RuntimeError("receiver code broke")

    monkeypatch.setattr("chalicelib.services.webhooks.delivery.deliver", failing)
    record = {"dynamodb": {"NewImage": {}, "SequenceNumber": "42"}}
    monkeypatch.setattr(consumers.Event, "from_raw_data", staticmethod(lambda image: image))
    answer = consumers.webhooks_consumer({"Records": [record, record]}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "42"}]}
    assert _metrics(capsys.readouterr().out) == {"ConsumerFailures": 1}
    logged = _lines(stream)
    assert logged[-1]["function"] == "webhooks_consumer"
    assert "receiver code broke" in logged[-1]["exception"]
