"""Branding themes and their logos."""
