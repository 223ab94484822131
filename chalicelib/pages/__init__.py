"""Hosted pages: the page store (served without Jinja2) and their rendering."""
