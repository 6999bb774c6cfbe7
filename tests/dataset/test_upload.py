"""upload_dataset against the embedded backend over real HTTP: upload, dedupe, stale ids, faults."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Callable

import pytest

from synthlaunch.console import Output
from synthlaunch.dataset import DatasetReport, validate_dataset
from synthlaunch.errors import BackendError, DatasetError
from synthlaunch.http import RetryPolicy
from synthlaunch.upload import (
    UploadCache,
    UploadResult,
    default_cache_path,
    file_state,
    idempotency_key_for,
    upload_dataset,
)

LINE = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})


def make_dataset(tmp_path: Path, n: int = 3, name: str = "train.jsonl", tag: str = "") -> Path:
    path = tmp_path / name
    path.write_text("".join(LINE[:-1] + f', "i": "{tag}{i}"}}\n' for i in range(n)))
    return path


def quiet_out() -> tuple[Output, io.StringIO]:
    buf = io.StringIO()
    return Output(stdout=buf, stderr=buf, verbose=True), buf


def ids_with_sha(client: Any, sha: str) -> list[str]:
    return [f["id"] for f in client.list_files(limit=1000) if f.get("sha256") == sha]


def test_valid_upload_is_ready_and_cached(backend: Any, tmp_path: Path) -> None:
    path = make_dataset(tmp_path, tag="valid")
    client = backend.client()
    out, buf = quiet_out()
    cache = tmp_path / "cache" / "uploads.json"
    result = upload_dataset(client, path, out=out, cache_path=cache)
    assert isinstance(result, UploadResult) and not result.reused
    report = validate_dataset(path)
    assert (result.sha256, result.examples, result.bytes) == (report.sha256, 3, report.bytes)
    record = client.get_file(result.file_id)
    assert file_state(record) == "ready" and record["filename"] == "train.jsonl"
    assert record["sha256"] == report.sha256  # the bytes arrived unchanged
    assert ids_with_sha(client, report.sha256) == [result.file_id]
    assert UploadCache(cache).get(UploadCache.key(client.base_url, client.api_key, report.sha256,
                                                  report.bytes)) == result.file_id
    assert backend.api_key not in json.dumps(json.loads(cache.read_text()))  # no secret in the cache


def test_second_upload_reuses_the_cached_id(backend: Any, tmp_path: Path) -> None:
    path = make_dataset(tmp_path, tag="dedupe")
    client = backend.client()
    out, buf = quiet_out()
    cache = tmp_path / "uploads.json"
    first = upload_dataset(client, path, out=out, cache_path=cache)
    second = upload_dataset(client, path, out=out, cache_path=cache)
    assert second.reused and second.file_id == first.file_id
    assert "already uploaded" in buf.getvalue()
    assert ids_with_sha(client, first.sha256) == [first.file_id]


def test_force_upload_skips_the_cache_and_creates_a_new_file(backend: Any, tmp_path: Path) -> None:
    path = make_dataset(tmp_path, tag="force")
    client = backend.client()
    out, _ = quiet_out()
    cache = tmp_path / "uploads.json"
    first = upload_dataset(client, path, out=out, cache_path=cache)
    forced = upload_dataset(client, path, out=out, cache_path=cache, force=True)
    assert not forced.reused and forced.file_id != first.file_id
    assert sorted(ids_with_sha(client, first.sha256)) == sorted([first.file_id, forced.file_id])


def test_same_content_without_cache_is_one_file_thanks_to_the_idempotency_key(backend: Any, tmp_path: Path) -> None:
    path = make_dataset(tmp_path, tag="idem")
    client = backend.client()
    out, _ = quiet_out()
    a = upload_dataset(client, path, out=out, cache_path=tmp_path / "a.json")
    b = upload_dataset(client, path, out=out, cache_path=tmp_path / "b.json")
    assert a.file_id == b.file_id and ids_with_sha(client, a.sha256) == [a.file_id]


def test_stale_cached_id_is_checked_and_replaced(backend_factory: Callable[..., Any], tmp_path: Path) -> None:
    first = backend_factory(data_dir=tmp_path / "data1")
    path = make_dataset(tmp_path, tag="stale")
    cache = tmp_path / "uploads.json"
    out, buf = quiet_out()
    old = upload_dataset(first.client(), path, out=out, cache_path=cache)
    port, key = first.port, first.api_key
    first.stop()
    # same URL and key, but a backend that never saw the file (new data dir)
    second = backend_factory(port=port, api_keys=[key], data_dir=tmp_path / "data2")
    client = second.client()
    assert client.get_file(old.file_id) is None
    new = upload_dataset(client, path, out=out, cache_path=cache)
    assert not new.reused and client.get_file(new.file_id) is not None
    assert "no longer usable" in buf.getvalue()
    report = validate_dataset(path)
    assert UploadCache(cache).get(UploadCache.key(client.base_url, key, report.sha256, report.bytes)) == new.file_id


def test_invalid_dataset_uploads_nothing(backend: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(LINE + "\n" + '{"messages": "nope", "tag": "invalid-upload"}\n')
    client = backend.client()
    before = {f["id"] for f in client.list_files(limit=1000)}
    out, _ = quiet_out()
    with pytest.raises(DatasetError) as info:
        upload_dataset(client, path, out=out, cache_path=tmp_path / "c.json")
    assert info.value.problems[0].line == 2
    assert {f["id"] for f in client.list_files(limit=1000)} == before


def test_file_the_backend_marks_failed_is_an_error_with_its_reason(backend: Any, tmp_path: Path) -> None:
    # bypass local validation with a report: the backend's own check fails the file
    path = tmp_path / "server-rejects.jsonl"
    path.write_text("this is not json (failed-file test)\n")
    report = DatasetReport(path=path, examples=1, bytes=path.stat().st_size, sha256="0" * 64)
    out, _ = quiet_out()
    with pytest.raises(BackendError) as info:
        upload_dataset(backend.client(), path, out=out, report=report, cache_path=tmp_path / "c.json")
    assert "could not process file" in info.value.message
    record = info.value.response_body
    assert isinstance(record, dict) and record.get("error") and record["error"] in info.value.message


def test_waits_for_a_processing_file(backend_factory: Callable[..., Any], tmp_path: Path) -> None:
    server = backend_factory(file_check_seconds=1.5)
    out, buf = quiet_out()
    result = upload_dataset(server.client(), make_dataset(tmp_path, tag="slow"), out=out,
                            cache_path=tmp_path / "c.json")
    assert file_state(server.client().get_file(result.file_id)) == "ready"
    assert "waiting for file" in buf.getvalue()


def test_ready_timeout_is_bounded(backend_factory: Callable[..., Any], tmp_path: Path) -> None:
    server = backend_factory(file_check_seconds=30)
    out, _ = quiet_out()
    with pytest.raises(BackendError) as info:
        upload_dataset(server.client(), make_dataset(tmp_path, tag="timeout"), out=out,
                       cache_path=tmp_path / "c.json", ready_timeout=0.5)
    assert "not ready after 0.5 s" in info.value.message and "processing" in info.value.message


@pytest.mark.parametrize("faults", [
    "path=/api/files,method=POST,kinds=503,times=2,retry_after=0",
    "path=/api/files,method=POST,kinds=drop,times=2",
    "path=/api/files,method=POST,kinds=429,times=1,retry_after=0",
    "path=/api/files,method=POST,kinds=503,times=1,retry_after=0;path=/api/files/*,method=GET,kinds=500+drop,times=2",
])
def test_faults_during_upload_still_make_exactly_one_file(backend_factory: Callable[..., Any], tmp_path: Path,
                                                          faults: str) -> None:
    server = backend_factory(faults=faults, file_check_seconds=0.3)  # processing → the GETs are needed
    client = server.client(policy=RetryPolicy(attempts=6, deadline=30, backoff_base=0.05, backoff_max=0.2))
    out, _ = quiet_out()
    path = make_dataset(tmp_path, n=50, tag="faults")
    result = upload_dataset(client, path, out=out, cache_path=tmp_path / "c.json")
    injected = sum(rule.injected for rule in server.injector.rules)
    server.clear_faults()
    assert injected == sum(int(part.split("=")[1]) for part in faults.replace(";", ",").split(",")
                           if part.startswith("times="))  # every planned fault happened
    assert ids_with_sha(client, result.sha256) == [result.file_id]
    assert file_state(client.get_file(result.file_id)) == "ready"


def test_idempotency_key_depends_on_content_size_and_name() -> None:
    base = idempotency_key_for("a" * 64, 10, "x.jsonl")
    assert base == idempotency_key_for("a" * 64, 10, "x.jsonl")
    assert len({base, idempotency_key_for("b" * 64, 10, "x.jsonl"), idempotency_key_for("a" * 64, 11, "x.jsonl"),
                idempotency_key_for("a" * 64, 10, "y.jsonl")}) == 4


def test_cache_is_written_atomically_and_survives_garbage(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "uploads.json"
    cache = UploadCache(path)
    assert cache.get("k") is None  # missing file
    path.parent.mkdir()
    path.write_text("{not json")
    assert cache.get("k") is None  # corrupt file: ignored
    cache.put("k", "file_1", "a.jsonl")
    cache.put("j", "file_2", "b.jsonl")
    assert (cache.get("k"), cache.get("j")) == ("file_1", "file_2")
    cache.drop("k")
    assert cache.get("k") is None and cache.get("j") == "file_2"
    assert sorted(p.name for p in path.parent.iterdir()) == ["uploads.json", "uploads.lock"]  # no temp files
    fresh = UploadCache(tmp_path / "new" / "uploads.json")
    fresh.put("k", "file_3", "c.jsonl")
    assert fresh.path.stat().st_mode & 0o777 == 0o600  # a new cache file is private


def test_cache_location_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHLAUNCH_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_path() == tmp_path / "c" / "uploads.json"
    monkeypatch.delenv("SYNTHLAUNCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "synthlaunch" / "uploads.json"


def test_cache_forgets_the_oldest_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import synthlaunch.upload as up

    monkeypatch.setattr(up, "CACHE_MAX_ENTRIES", 3)
    cache = UploadCache(tmp_path / "uploads.json")
    data = {"version": 1, "files": {f"k{i}": {"file_id": f"f{i}", "uploaded_at": f"2026-01-0{i + 1}T00:00:00Z"}
                                    for i in range(3)}}
    cache.path.write_text(json.dumps(data))
    cache.put("new", "f_new", "n.jsonl")
    assert [cache.get(k) for k in ("k0", "k1", "k2", "new")] == [None, "f1", "f2", "f_new"]
