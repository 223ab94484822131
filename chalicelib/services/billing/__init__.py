"""Hosted signup and self-service: the catalogue, contracts, documents, e-mails, self-service
settings.
"""
