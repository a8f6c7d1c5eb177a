"""Companies: the tenants that own postings, applicants and applications."""
