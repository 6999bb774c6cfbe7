"""Files: multipart upload, content-addressed storage with sha256 and size, processing → ready /
failed after the server-side JSONL check, get, list."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests

from tests.support.backend import CHAT_LINE, wait_file_ready, wait_for, write_jsonl


def test_upload_stores_content_addressed_with_sha256_and_size(backend, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl")
    data = path.read_bytes()
    record = backend.client().upload_file(path)
    sha = hashlib.sha256(data).hexdigest()
    assert record["sha256"] == sha and record["bytes"] == len(data)
    assert record["filename"] == "a.jsonl" and record["purpose"] == "fine-tune"
    assert record["status"] in ("processing", "ready")
    blob = backend.data_dir / "files" / sha[:2] / sha
    assert blob.read_bytes() == data


def test_same_content_twice_is_one_blob_two_records(backend, tmp_path):
    client = backend.client()
    a = client.upload_file(write_jsonl(tmp_path / "x.jsonl"))
    b = client.upload_file(write_jsonl(tmp_path / "y.jsonl"))
    assert a["id"] != b["id"] and a["sha256"] == b["sha256"]
    blobs = list((backend.data_dir / "files" / a["sha256"][:2]).glob(a["sha256"] + "*"))
    assert len(blobs) == 1


def test_processing_then_ready_with_line_count(backend_factory, tmp_path):
    server = backend_factory(file_check_seconds=0.3)
    client = server.client()
    record = client.upload_file(write_jsonl(tmp_path / "t.jsonl", [CHAT_LINE] * 3))
    assert client.get_file(record["id"])["status"] == "processing"
    ready = wait_file_ready(client, record["id"])
    assert ready["status"] == "ready" and ready["line_count"] == 3


@pytest.mark.parametrize("content,reason", [
    ('{"messages": [{"role": "user", "content": "hi"}]}\nnot json\n', "line 2: not valid JSON"),
    ("[1, 2]\n", "line 1: not a JSON object"),
    ('{"messages": []}\n', "line 1: 'messages' must be a non-empty list"),
    ("\n\n", "no examples"),
    (b"\xff\xfe{}\n", "line 1: not UTF-8"),
])
def test_invalid_jsonl_ends_failed_with_the_reason(backend, tmp_path, content, reason):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    client = backend.client()
    done = wait_file_ready(client, client.upload_file(path)["id"])
    assert done["status"] == "failed"
    assert reason in done["error"]


def test_get_unknown_file_is_404(backend):
    assert backend.client().get_file("file_does_not_exist") is None
    resp = requests.get(backend.api_url + "/files/nope", headers={"Authorization": f"Bearer {backend.api_key}"},
                        timeout=10)
    assert resp.status_code == 404 and "not found" in resp.json()["detail"]


def test_list_files_newest_first_with_purpose_and_limit(backend_factory, tmp_path):
    server = backend_factory()
    client = server.client()
    first = client.upload_file(write_jsonl(tmp_path / "1.jsonl"))
    second = client.upload_file(write_jsonl(tmp_path / "2.jsonl"), purpose="evaluation")
    third = client.upload_file(write_jsonl(tmp_path / "3.jsonl"))
    assert [f["id"] for f in client.list_files()] == [third["id"], second["id"], first["id"]]
    assert [f["id"] for f in client.list_files(purpose="fine-tune")] == [third["id"], first["id"]]
    assert [f["id"] for f in client.list_files(limit=1)] == [third["id"]]


def test_upload_without_file_part_is_a_clear_4xx(backend):
    resp = requests.post(backend.api_url + "/files", data={"purpose": "fine-tune"},
                         headers={"Authorization": f"Bearer {backend.api_key}"}, timeout=10)
    assert resp.status_code == 422
    assert "file" in json.dumps(resp.json()["detail"])


def test_large_upload_is_streamed_and_checked(backend, tmp_path):
    path = tmp_path / "big.jsonl"
    line = json.dumps({"messages": [{"role": "user", "content": "x" * 2000}]}) + "\n"
    with open(path, "w") as fh:
        for _ in range(3000):  # ~6 MB
            fh.write(line)
    client = backend.client()
    record = client.upload_file(path)
    assert record["bytes"] == path.stat().st_size
    done = wait_for(lambda: (f := client.get_file(record["id"]))["status"] != "processing" and f)
    assert done["status"] == "ready" and done["line_count"] == 3000
