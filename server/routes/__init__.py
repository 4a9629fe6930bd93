"""HTTP routes, one module per resource; each route parses, verifies, calls one function."""
