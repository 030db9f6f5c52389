"""Files in S3 or an S3-compatible store: the backend for several stateless instances.

Credentials come from boto3's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, or an
instance role); they are never passed through settings or logged here.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.config import Config
from botocore.exceptions import ClientError

from app.storage.base import (
    CHUNK_SIZE,
    FileMissing,
    StagedFile,
    StoredObject,
    discard_staged,
    is_key,
    stage_to_temp,
    validate_key,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from mypy_boto3_s3 import S3Client

# boto3's defaults, stated so that tests and operators know when multipart starts; "classic" keeps the
# transfer on this client (and its no-overwrite hook) even where the CRT transfer client is installed.
DEFAULT_TRANSFER = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    preferred_transfer_client="classic",
)


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        client: S3Client | None = None,
        temp_dir: Path | None = None,
        transfer_config: TransferConfig = DEFAULT_TRANSFER,
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.temp_dir = temp_dir or Path(tempfile.gettempdir())
        self.transfer_config = transfer_config
        if client is None:
            # A session of its own: boto3's default session is not thread-safe; the client is.
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                # Custom endpoints (MinIO, Ceph, moto) rarely serve bucket-named host names.
                config=Config(s3={"addressing_style": "path"} if endpoint_url else {}, retries={"mode": "standard"}),
            )
        self.client = client
        # Every write of this backend is create-only: S3 refuses it with 412 when the key exists, which turns
        # the exists-then-upload race between two instances into one winner (stores without conditional
        # writes ignore the header and overwrite with identical bytes).
        for operation in ("PutObject", "CompleteMultipartUpload"):
            client.meta.events.register(
                f"before-parameter-build.s3.{operation}", _create_only, unique_id=f"quad-create-only-{operation}"
            )

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def stage(self, source: BinaryIO, *, max_bytes: int) -> StagedFile:
        return stage_to_temp(source, max_bytes=max_bytes, temp_dir=self.temp_dir)

    def save(self, staged: StagedFile) -> bool:
        if self.exists(staged.sha256):
            return False
        extra_args = {"ContentType": "application/octet-stream", "Metadata": {"sha256": staged.sha256}}
        # The managed transfer sends one PutObject, or a multipart upload for big files; either way the
        # object appears whole or not at all, and a failed multipart upload is aborted.
        with create_transfer_manager(self.client, self.transfer_config) as manager:
            future = manager.upload(str(staged.path), self.bucket, self._key(staged.sha256), extra_args=extra_args)
            try:
                future.result()
            except ClientError as error:
                if _status(error) == 412:  # another writer stored it first
                    return False
                raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _status(error) == 404:
                return False
            raise
        return True

    def open(self, key: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _status(error) == 404:
                raise FileMissing(key) from None
            raise
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=CHUNK_SIZE)

    def size(self, key: str) -> int:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"]
        except ClientError as error:
            if _status(error) == 404:
                raise FileMissing(key) from None
            raise

    def discard(self, staged: StagedFile) -> None:
        discard_staged(staged)

    def iter_objects(self) -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if is_key(key):  # other objects under the prefix are not ours to judge
                    yield StoredObject(key, item["Size"], item["LastModified"])


def _create_only(params: dict[str, Any], **_: Any) -> None:
    params.setdefault("IfNoneMatch", "*")


def _status(error: ClientError) -> int | None:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


class _BodyReader(io.RawIOBase):
    """Makes botocore's StreamingBody a raw stream, so callers get a real buffered binary file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()  # returns the connection to the pool
        super().close()
