"""Where uploaded files live: a local folder (embedded default) or S3 (several instances)."""

from __future__ import annotations

from app.core.config import Settings
from app.storage import staging
from app.storage.base import FileMissing, InvalidKey, StagedFile, Storage, StoredObject
from app.storage.local import LocalStorage

__all__ = [
    "FileMissing",
    "InvalidKey",
    "LocalStorage",
    "StagedFile",
    "Storage",
    "StoredObject",
    "storage_from_settings",
]


def storage_from_settings(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise ValueError("QUAD_S3_BUCKET must be set when QUAD_STORAGE=s3")
        from app.storage.s3 import S3Storage  # late: boto3 is only imported by deployments that use it

        return S3Storage(
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            # The data folder is the one place the container writes, and keeps big uploads off a tmpfs /tmp;
            # each process stages in its own folder there, and folders of ended processes are swept.
            temp_dir=staging.claim_folder(settings.data_dir / "tmp"),
        )
    root = settings.data_dir / "files"
    return LocalStorage(root, temp_dir=staging.claim_folder(root / "tmp"))
