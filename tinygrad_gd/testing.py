"""Testing toolkit for users' own models and ops (being written): pytest plugin entry point."""
