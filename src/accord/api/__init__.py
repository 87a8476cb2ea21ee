"""REST API wiring: router, authentication, errors, pagination, OpenAPI. Each context owns its
endpoints in its own api module."""
