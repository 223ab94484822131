"""Customers, their business units, assets and their telemetry, and which customer holds which
asset.
"""
