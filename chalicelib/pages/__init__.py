"""Jinja2 environment and page rendering (imported only where a page is rendered)."""
