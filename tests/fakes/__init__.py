"""Fake servers that real client libraries talk to in end-to-end tests."""
