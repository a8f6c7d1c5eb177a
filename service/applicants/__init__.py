"""Applicants: the people who apply, with their contact details, links and tags."""
