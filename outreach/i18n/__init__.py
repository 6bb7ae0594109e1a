"""Locales, the locale in the URL, and per-locale text for listings."""
