"""Events and outbound webhooks: the transactional outbox, signing, the SSRF guard, the worker."""
