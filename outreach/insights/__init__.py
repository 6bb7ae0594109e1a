"""Demand insights: anonymous weekly counts of searches and help requests, by category (and town)."""
