"""HTTP glue for downloads: a `content.Delivery` the service prepared becomes a response. What is served, stamped,
audited or refused was decided by the service; this file only speaks HTTP (headers, 304, streaming)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import Depends, Request
from fastapi.responses import Response, StreamingResponse

from app.core.capacity import Slots
from app.core.routing import writes_audit
from app.documents import content, formats
from app.documents.content import CHUNK, Delivery
from app.documents.deps import DocumentReader, ReadableDocument, StorageDep
from app.web.deps import DbSession, ObjectId

# Reading a file appends to the audit trail (marked content): the request takes the write lock up front.
AUDITED_READ = [Depends(writes_audit)]


def stamp_slots(request: Request) -> Slots:
    """This worker's bound on marked files stamped at once (made with the app: content.stamping_slots)."""
    slots: Slots = request.app.state.stamp_slots
    return slots


StampSlots = Annotated[Slots, Depends(stamp_slots)]


def respond(request: Request, delivery: Delivery) -> Response:
    headers = {"Content-Disposition": formats.content_disposition(delivery.filename)}
    if delivery.size is not None:
        headers["Content-Length"] = str(delivery.size)
    if delivery.etag is None:
        headers["Cache-Control"] = "no-store"  # marked files are never cached
    else:
        headers["ETag"] = delivery.etag
        headers["Cache-Control"] = "private, max-age=0, must-revalidate"
        if request.headers.get("if-none-match") == delivery.etag:
            if delivery.stream is not None:
                delivery.stream.close()
            headers.pop("Content-Length", None)
            return Response(status_code=304, headers=headers)
    if delivery.stream is None:
        return Response(status_code=200, media_type=delivery.content_type, headers=headers)
    return StreamingResponse(_chunks(delivery.stream), media_type=delivery.content_type, headers=headers)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def download(
    request: Request,
    number: ObjectId,
    document: ReadableDocument,
    db: DbSession,
    principal: DocumentReader,
    storage: StorageDep,
    stamping: StampSlots,
) -> Response:
    """A version's file (GET) or its headers (HEAD): one handler, registered on the API and on the pages."""
    head = request.method == "HEAD"
    return respond(
        request, content.prepare_download(db, principal, storage, document, number, stamping=stamping, head=head)
    )
