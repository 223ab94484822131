"""Declared request and response bodies (pydantic); the OpenAPI document is built from them."""
