"""API keys: hashed secrets bound to companies, carrying scopes."""
