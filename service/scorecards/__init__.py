"""Scorecards: interviewers' feedback on applications."""
