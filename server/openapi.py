"""Request bodies in the OpenAPI description for the routes that read their own body.

The webhooks and live tools read the raw bytes (a signature covers them; bodies are bounded and
parsed strictly, `server.bodies`), so FastAPI cannot infer their schema. Each such route is
registered here with a documentation model — the fields the services document (FORMATS.md) or
the tool's own argument model — and `describe(app)` adds the request bodies to `/openapi.json`
(the models under `components/schemas`). The models document; they do not validate: the routes
keep their own parsing, and unknown fields the services add later are accepted.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_BODIES: dict[tuple[str, str], tuple[type[BaseModel], tuple[str, ...], str]] = {}


def document_body(
    path: str,
    model: type[BaseModel],
    media_types: tuple[str, ...] = (JSON,),
    *,
    method: str = "post",
    description: str = "",
) -> None:
    """Declare that `method path` takes a body shaped like `model`."""
    _BODIES[(path, method)] = (model, media_types, description)


def describe(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI description with the declared request bodies (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = FastAPI.openapi(app)  # FastAPI's own, then completed here
    models = sorted({model for model, _, _ in _BODIES.values()}, key=lambda m: m.__name__)
    refs, definitions = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.get("$defs", {}))
    for (path, method), (model, media_types, description) in _BODIES.items():
        operation = schema.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        ref = refs[(model, "validation")]
        operation["requestBody"] = {
            "required": True,
            "description": description or model.__doc__ or "",
            "content": {media: {"schema": ref} for media in media_types},
        }
    app.openapi_schema = schema
    return schema
