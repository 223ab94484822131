"""Partner shares of tracking data and their access log."""
