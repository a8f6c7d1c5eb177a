"""Interviews: an application's scheduled conversations, their interviewers and how each answered."""
