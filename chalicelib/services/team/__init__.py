"""The provider's team: members, their console sessions, their second factor."""
