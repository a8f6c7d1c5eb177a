"""How a company is organised for hiring: departments and offices, each a tree."""
