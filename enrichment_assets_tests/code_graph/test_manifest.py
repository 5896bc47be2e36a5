"""The walk: .gitignore at every level, vendored folders, symlinks, binary and big files, and
the sorting of files into new, changed, unchanged and deleted."""

import os
from pathlib import Path

import pytest

from enrichment_assets.lib.code_graph.ids import (
    BadRepository,
    check_id,
    check_path,
    partition_key,
    source_kind,
    split_key,
)
from enrichment_assets.lib.code_graph.manifest import (
    StoredState,
    build_manifest,
    classify,
    folder_fingerprint,
)
from enrichment_assets.settings import SAMPLE_CODE_REPOSITORY


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def test_the_walk_honours_gitignore_at_every_level_and_skips_what_is_not_the_code(tmp_path):
    _write(tmp_path, {
        ".gitignore": "*.log\nbuild/\n",
        "app/.gitignore": "generated_*.py\n!generated_keep.py\n",
        "app/main.py": "def main():\n    pass\n",
        "app/generated_models.py": "x = 1\n",
        "app/generated_keep.py": "y = 2\n",
        "build/out.py": "z = 3\n",
        "debug.log": "nothing",
        "node_modules/left/index.js": "module.exports = 1;\n",
        "web/app.min.js": "var a=1;",
        "web/app.ts": "export const a = 1;\n",
        "data.bin.py": b"\x00\x01binary",
        "big.py": "x = 1\n" * 400,
        "README.md": "# hi\n",
    })  # fmt: skip
    (tmp_path / "link.py").symlink_to(tmp_path / "app" / "main.py")
    manifest = build_manifest(tmp_path, max_file_bytes=1024)
    assert [f.path for f in manifest.files] == [
        "app/generated_keep.py", "app/main.py", "web/app.ts",
    ]  # fmt: skip
    assert [f.language for f in manifest.files] == ["python", "python", "typescript"]
    reasons = dict((s.path, s.reason) for s in manifest.skipped)
    assert reasons["node_modules/"] == "vendored or generated folder"
    assert reasons["web/app.min.js"].startswith("minified")
    assert reasons["data.bin.py"] == "binary"
    assert reasons["big.py"].startswith("larger than 1 KB")
    assert reasons["link.py"].startswith("symlink")
    assert "build/out.py" not in reasons and "debug.log" not in reasons  # ignored: not listed
    assert manifest.other_files == 3  # README.md and the two .gitignore files


def test_the_hash_is_the_sha256_of_the_bytes(tmp_path):
    import hashlib

    _write(tmp_path, {"a.py": "print('hi')\n"})
    (entry,) = build_manifest(tmp_path, 10_000).files
    assert entry.sha256 == hashlib.sha256(b"print('hi')\n").hexdigest()
    assert entry.size == 12


def test_files_sort_into_new_changed_unchanged_and_deleted(tmp_path):
    _write(tmp_path, {"same.py": "a = 1\n", "edited.py": "b = 2\n", "fresh.py": "c = 3\n"})
    manifest = build_manifest(tmp_path, 10_000)
    digest = {f.path: f.sha256 for f in manifest.files}
    stored = {
        "same.py": StoredState(digest["same.py"], "fp1", "parsed"),
        "edited.py": StoredState("0" * 64, "fp1", "parsed"),
        "gone.py": StoredState("1" * 64, "fp1", "parsed"),
        "was_skipped.py": StoredState(None, None, "skipped"),
    }
    result = classify(manifest, stored, "fp1")
    assert result.counts() == {"new": 1, "changed": 1, "unchanged": 1, "deleted": 2}
    # A skipped file that is no longer there to skip leaves the table too.
    assert (result.new, result.changed, result.deleted) == (
        ["fresh.py"], ["edited.py"], ["gone.py", "was_skipped.py"]
    )  # fmt: skip
    # A new parser re-parses everything once.
    assert classify(manifest, stored, "fp2").counts()["unchanged"] == 0


def test_paths_and_ignore_files_that_would_break_the_walk_are_handled(tmp_path):
    _write(tmp_path, {
        ".gitignore": "!\nbuild\\\nx[z-a].py\n*.tmp.py\n",  # three lines git drops
        "a.py": "a = 1\n",
        "scratch.tmp.py": "b = 2\n",
        "vendor_sub/.git": "gitdir: ../.git/modules/vendor_sub\n",
        "vendor_sub/lib.py": "c = 3\n",
        "bundle.js": "var a=" + "1+" * 3000 + "1;\n",
        "/".join(["d" * 200] * 3) + ".py": "d = 4\n",
    })  # fmt: skip
    (tmp_path / "caf\udce9.py").write_bytes(b"e = 5\n")  # a Latin-1 name: not UTF-8
    manifest = build_manifest(tmp_path, 100_000)
    assert [f.path for f in manifest.files] == ["a.py"]
    reasons = {s.reason for s in manifest.skipped}
    assert {"nested repository (its own .git)", "path is not UTF-8",
            "path longer than 512 characters"} <= reasons  # fmt: skip
    assert any(r.startswith("minified") for r in reasons)


def test_the_folder_fingerprint_moves_with_a_code_file_only(tmp_path):
    _write(tmp_path, {"a.py": "a = 1\n", "notes.txt": "x"})
    before = folder_fingerprint(tmp_path)
    (tmp_path / "notes.txt").write_text("changed, but not code")
    assert folder_fingerprint(tmp_path) == before
    (tmp_path / "a.py").write_text("a = 22\n")
    assert folder_fingerprint(tmp_path) != before


def test_the_sample_repository_shows_every_path_of_the_walk():
    manifest = build_manifest(SAMPLE_CODE_REPOSITORY, 512 * 1024)
    languages = {f.language for f in manifest.files}
    assert languages == {"python", "javascript", "typescript", "go", "java"}
    reasons = {s.path: s.reason for s in manifest.skipped}
    assert reasons["vendor/"] == "vendored or generated folder"
    assert reasons["generated/prices_table.py"].startswith("larger than 512 KB")
    paths = {f.path for f in manifest.files}
    assert "shop/broken.py" in paths  # kept: the graph records why it does not parse
    assert not any(p.startswith("build/") for p in paths)  # .gitignore


@pytest.mark.parametrize("value", ["", "A", "-x", "a.b", "a/b", "x" * 41, "ü", "a b", "..", None])
def test_bad_ids_fail_with_a_clear_message(value):
    with pytest.raises(BadRepository, match="is not valid"):
        check_id(value, "tenant")


def test_partition_keys_round_trip_and_refuse_garbage():
    assert split_key(partition_key("acme", "shop-api")) == ("acme", "shop-api")
    for bad in ("acme", "acme.", ".shop", "Acme.shop", "acme.shop.x"):
        with pytest.raises(BadRepository):
            split_key(bad)


def test_a_path_outside_the_roots_is_refused_even_through_a_symlink(tmp_path):
    allowed = tmp_path / "allowed"
    outside = tmp_path / "outside"
    (allowed / "repo").mkdir(parents=True)
    outside.mkdir()
    (allowed / "sneaky").symlink_to(outside)
    assert check_path(allowed / "repo", [allowed]) == (allowed / "repo").resolve()
    for path, message in (
        (outside, "outside CODE_GRAPH_ROOTS"),
        (allowed / "sneaky", "outside CODE_GRAPH_ROOTS"),
        (allowed / "repo" / ".." / ".." / "outside", "outside CODE_GRAPH_ROOTS"),
        (allowed / "missing", "no such folder"),
    ):
        with pytest.raises(BadRepository, match=message):
            check_path(path, [allowed])


def test_a_git_working_tree_is_told_from_a_plain_folder(tmp_path):
    assert source_kind(tmp_path) == "folder"
    os.mkdir(tmp_path / ".git")
    assert source_kind(tmp_path) == "git"
