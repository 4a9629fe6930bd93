"""Media Hilo serves to Twilio: a voice reply's audio, once, at its unguessable URL.

The token in the path is the only credential (Twilio fetches media without signing the
request); it is 256 random bits, good for one fetch within minutes (`memory.voice_replies`).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from memory.voice_replies import take_voice_reply
from server.deps import MemoryDep

router = APIRouter(prefix="/media", tags=["media"])


@router.get(
    "/voice/{token}",
    responses={404: {"description": "Unknown, already fetched, or expired"}},
    response_class=Response,
)
async def voice_reply(token: str, memory: MemoryDep) -> Response:
    if len(token) > 100:
        raise HTTPException(404, "no such audio")
    found = await take_voice_reply(memory, token)
    if found is None:
        raise HTTPException(404, "no such audio (unknown, already fetched, or expired)")
    audio, content_type = found
    return Response(audio, media_type=content_type, headers={"Cache-Control": "no-store"})
