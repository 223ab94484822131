"""Signed webhooks: a consumer of domain events (issue 12).

`endpoints` keeps a tenant's endpoints (each change records its own event); `delivery` sends
events to them per the Standard Webhooks specification, with retries for three days and a
log of every attempt; `addresses` decides where a webhook may go (SSRF rules), `transport`
makes the one HTTP request, `signing` derives secrets and signs.
"""

# The event the test route records: it goes to the endpoint it names, and nowhere else.
TEST_EVENT = "webhook_endpoint.tested"
