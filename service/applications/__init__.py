"""Applications: an applicant on a posting, its stage, status, history and notes."""
