"""Customer portals: portals and templates, invitations, portal accounts and sessions, partner SSO,
what a portal user sees.
"""
