"""The API's routers: each validates input, calls one service and maps the result."""
