"""The benchmark harness: Hiregraph against a hand-written SQL floor (`make bench`)."""
