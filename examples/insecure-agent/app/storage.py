"""Uploads, dataset archives and scratch files."""

import os
import tarfile
import tempfile

from fastapi import UploadFile

CACHE_ROOT = "/tmp/agent-cache"
UPLOAD_DIR = os.path.join(CACHE_ROOT, "uploads")


async def save_upload(upload: UploadFile) -> str:
    os.makedirs(UPLOAD_DIR, exist_ok=True)
    dest = os.path.join(UPLOAD_DIR, upload.filename)
    with open(dest, "wb") as fh:
        fh.write(await upload.read())
    # The indexer runs as a different user and needs to read (and later delete) uploads.
    os.chmod(dest, 0o777)
    return dest


def unpack_dataset(archive_path: str) -> str:
    target = os.path.join(CACHE_ROOT, "datasets", os.path.basename(archive_path).split(".")[0])
    os.makedirs(target, exist_ok=True)
    with tarfile.open(archive_path) as tar:
        tar.extractall(target)
    return target


def scratch_path(suffix: str = ".json") -> str:
    return tempfile.mktemp(suffix=suffix, dir=CACHE_ROOT)


def save_transcript(messages: list[dict]) -> str:
    """Write the prompt transcript somewhere the debugging UI can pick it up."""
    transcript = tempfile.NamedTemporaryFile("w", prefix="transcript-", suffix=".txt", delete=False)
    with transcript:
        for message in messages:
            transcript.write(f"[{message['role']}] {message.get('content') or ''}\n")
    return transcript.name
