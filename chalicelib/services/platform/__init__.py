"""What every domain uses: storage, pagination, idempotency, versions, rate limits, mail delivery,
passwords, the audit log, tenants and their API keys.
"""
