"""Declared request and response bodies (msgspec Structs); the OpenAPI document is built
from them. msgspec validates while it decodes and imports in a few milliseconds, which a
Lambda cold start feels; see docs/decisions.md."""
