"""The web service: FastAPI app, webhook routes, operator API and dashboard, CLI."""
