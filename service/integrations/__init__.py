"""Links between Hiregraph records and the records of partner ATS systems."""
