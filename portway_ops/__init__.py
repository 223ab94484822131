"""Operator and developer tooling: the `portway` command, local DynamoDB, benchmarks.

Never deployed to Lambda (Chalice packages only app.py and chalicelib/).
"""
