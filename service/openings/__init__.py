"""Openings: the headcount slots of a posting."""
