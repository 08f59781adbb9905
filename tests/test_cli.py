"""The ``genro-storage`` command line, run as a subprocess (``python -m genro_storage.cli``)
against moto S3 and local folders, the way a user runs it."""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloud_mounts import s3_mount

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
#: Secrets planted in configurations: no command may ever print one.
SECRETS = ("cli-S3-SECRET-1f2e3d", "cli-AZURE-KEY-9a8b7c==", "cli-HTTP-TOKEN-5d4c3b")


def cli_env(config: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a command: this checkout first on the path, no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENRO_STORAGE_DEBUG")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("GENRO_STORAGE_CONFIG", None)
    env.pop("XDG_CONFIG_HOME", None)
    if config is not None:
        env["GENRO_STORAGE_CONFIG"] = str(config)
    env.update(extra)
    return env


def run_cli(
    *args: str, cwd: Path, env: dict[str, str], input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "genro_storage.cli", *args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        timeout=180,
    )


class Cli:
    """Runs commands with one configuration (an ``s3`` mount on moto, a ``disk`` local
    mount, a read-only ``ro`` mount) from the folder ``work``."""

    def __init__(self, tmp_path: Path, configs: list[dict[str, Any]]) -> None:
        self.work = tmp_path / "work"
        self.work.mkdir()
        self.config = tmp_path / "mounts.yaml"
        self.config.write_text(yaml.safe_dump(configs), "utf-8")
        self.env = cli_env(self.config)
        self.storage = StorageManager(self.config)  # to check results in-process

    def __call__(self, *args: str, ok: bool = True, input: bytes | None = None) -> Any:
        result = run_cli(*args, cwd=self.work, env=self.env, input=input)
        if ok:
            assert result.returncode == 0, result.stderr.decode()
            assert b"Traceback" not in result.stderr
        return result

    def out(self, *args: str) -> str:
        return self(*args).stdout.decode()

    def error(self, *args: str, code: int = 1) -> str:
        """Run a failing command; assert the one-line error shape and return the line."""
        result = self(*args, ok=False)
        assert result.returncode == code, (result.returncode, result.stderr.decode())
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("genro-storage: error: "), lines[0]
        assert result.stdout == b""
        return lines[0]


@pytest.fixture
def cli(s3_server: Any, make_config: Any, tmp_path: Path) -> Any:
    disk = make_config("local", "disk")
    configs = [
        make_config("s3", "s3"),
        disk,
        {"name": "ro", "type": "local", "path": disk["path"], "permissions": "readonly"},
    ]
    runner = Cli(tmp_path, configs)
    yield runner
    runner.storage.close()


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def tree_of(storage: StorageManager, spec: str) -> dict[str, bytes]:
    """``{relative path: content}`` of every file below ``spec``."""
    top = storage.node(spec)
    found: dict[str, bytes] = {}
    pending = [top]
    while pending:
        for child in pending.pop().children():
            if child.isdir:
                pending.append(child)
            else:
                found[child.path[len(top.path) :].lstrip("/")] = child.read_bytes()
    return found


# -- mounts and configuration ---------------------------------------------------------


def test_mounts_lists_name_type_permissions_and_never_a_secret(s3_server, tmp_path):
    configs = [
        s3_mount(s3_server, "s3", "cli-mounts", key="cli-key-id", secret=SECRETS[0]),
        {
            "name": "blobs",
            "type": "azure",
            "container": "c",
            "connection_string": "DefaultEndpointsProtocol=http;AccountName=acct;"
            f"AccountKey={SECRETS[1]};BlobEndpoint=http://127.0.0.1:9/acct;",
        },
        {
            "name": "web",
            "type": "http",
            "base_url": "http://127.0.0.1:9/files",
            "headers": {"Authorization": f"Bearer {SECRETS[2]}"},
            "permissions": "readonly",
        },
        {"name": "here", "type": "local", "path": str(tmp_path), "permissions": "readwrite"},
    ]
    cli = Cli(tmp_path, configs)
    table = cli("mounts")
    json_lines = cli("mounts", "--json")
    everything = table.stdout + table.stderr + json_lines.stdout + json_lines.stderr
    for secret in SECRETS + ("cli-key-id",):
        assert secret.encode() not in everything
    assert table.stdout.decode().splitlines() == [
        "NAME   TYPE   PERMISSIONS",
        "s3     s3     delete",
        "blobs  azure  delete",
        "web    http   readonly",
        "here   local  readwrite",
    ]
    rows = [json.loads(line) for line in json_lines.stdout.decode().splitlines()]
    assert rows[2] == {"name": "web", "type": "http", "permissions": "readonly"}
    assert [r["name"] for r in rows] == ["s3", "blobs", "web", "here"]
    # A configuration error names the field, never the secret it holds.
    bad = dict(configs[0], endpoint_url=f"ftp://user:{SECRETS[0]}@127.0.0.1")
    cli.config.write_text(yaml.safe_dump([bad]), "utf-8")
    line = cli.error("mounts")
    assert "endpoint_url" in line and SECRETS[0] not in line


def test_configuration_comes_from_option_then_environment_then_default_file(tmp_path):
    def config_file(name: str, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "mounts.yaml"
        path.write_text(yaml.safe_dump([{"name": name, "type": "memory"}]), "utf-8")
        return path

    home = tmp_path / "home"
    default = config_file("from_default", home / ".config" / "genro-storage")
    option = config_file("from_option", tmp_path / "option")
    environ = config_file("from_env", tmp_path / "env")
    assert default.is_file()

    def names(*args: str, **env: str) -> list[str]:
        result = run_cli(
            *args, "mounts", "--json", cwd=tmp_path, env=cli_env(HOME=str(home), **env)
        )
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["name"] for line in result.stdout.decode().splitlines()]

    assert names() == ["from_default"]
    assert names(GENRO_STORAGE_CONFIG=str(environ)) == ["from_env"]
    assert names("--config", str(option), GENRO_STORAGE_CONFIG=str(environ)) == ["from_option"]
    xdg = config_file("from_xdg", tmp_path / "xdg" / "genro-storage")
    assert names(XDG_CONFIG_HOME=str(xdg.parent.parent)) == ["from_xdg"]
    # No file at all: no mounts, a note on stderr, and local paths still work.
    empty = tmp_path / "nobody"
    result = run_cli("mounts", cwd=tmp_path, env=cli_env(HOME=str(empty)))
    assert result.returncode == 0 and result.stdout == b""
    assert b"no configuration file" in result.stderr
    (tmp_path / "hello.txt").write_text("hi")
    result = run_cli("cat", "hello.txt", cwd=tmp_path, env=cli_env(HOME=str(empty)))
    assert result.stdout == b"hi"


# -- ls, cat, md5, url ----------------------------------------------------------------


def test_ls_json_prints_one_object_per_line_with_the_five_fields(cli):
    cli.storage.node("s3:data/a.csv").write_bytes(b"x,y\n1,2\n")
    cli.storage.node("s3:data/sub/b.txt").write_bytes(b"bee")
    write_tree(cli.work / "local", {"one.txt": b"1", "deep/two.txt": b"22"})
    for spec, expected in [
        (
            "s3:data",
            {
                "a.csv": ("s3:data/a.csv", 8, False),
                "sub": ("s3:data/sub", None, True),
                "b.txt": ("s3:data/sub/b.txt", 3, False),
            },
        ),
        (
            "./local",
            {
                "deep": (str(cli.work / "local" / "deep"), None, True),
                "two.txt": (str(cli.work / "local" / "deep" / "two.txt"), 2, False),
                "one.txt": (str(cli.work / "local" / "one.txt"), 1, False),
            },
        ),
    ]:
        lines = cli.out("ls", "--json", "-R", spec).splitlines()
        rows = [json.loads(line) for line in lines]
        assert len(rows) == len(expected)
        for row in rows:
            assert set(row) == {"name", "path", "size", "mtime", "isdir"}
            assert (row["path"], row["size"], row["isdir"]) == expected[row["name"]]
            if not row["isdir"]:
                assert isinstance(row["mtime"], float) and row["mtime"] > 1e9
            if not row["isdir"]:  # every path printed is a spec the command line takes
                assert json.loads(cli.out("ls", "--json", row["path"])) == row
    # Without -R only the folder's own entries.
    assert [json.loads(x)["name"] for x in cli.out("ls", "--json", "s3:data").splitlines()] == [
        "a.csv",
        "sub",
    ]


def test_ls_plain_long_and_of_a_file(cli):
    cli.storage.node("s3:data/a.csv").write_bytes(b"x,y\n1,2\n")
    cli.storage.node("s3:data/sub/b.txt").write_bytes(b"bee")
    assert cli.out("ls", "s3:data").splitlines() == ["a.csv", "sub/"]
    assert cli.out("ls", "-R", "s3:data").splitlines() == ["a.csv", "sub/", "sub/b.txt"]
    long = cli.out("ls", "-l", "s3:data").splitlines()
    assert long[0].split()[0] == "8" and long[0].endswith("  a.csv")
    assert long[1].split() == ["-", "sub/"]
    assert cli.out("ls", "s3:data/a.csv") == "a.csv\n"
    assert cli.out("ls", "s3:").splitlines() == ["data/"]


def test_ls_recursive_on_a_local_symlink_loop_terminates(cli):
    write_tree(cli.work / "tree", {"a/file.txt": b"f"})
    os.symlink(cli.work / "tree", cli.work / "tree" / "a" / "loop")
    lines = cli.out("ls", "-R", "tree").splitlines()
    assert lines == ["a/", "a/file.txt", "a/loop"]  # a link to an ancestor: listed, not followed


def test_cat_streams_bytes_exactly_and_md5_matches(cli):
    payload = bytes(range(256)) * 4096 + b"\r\n\x00end"  # binary, ~1 MiB
    cli.storage.node("s3:blob.bin").write_bytes(payload)
    (cli.work / "small.txt").write_bytes(b"small\n")
    assert cli("cat", "s3:blob.bin").stdout == payload
    assert cli("cat", "small.txt", "s3:blob.bin").stdout == b"small\n" + payload
    md5 = hashlib.md5(payload).hexdigest()
    assert cli.out("md5", "s3:blob.bin", "small.txt").splitlines() == [
        f"{md5}  s3:blob.bin",
        f"{hashlib.md5(b'small' + chr(10).encode()).hexdigest()}  {cli.work / 'small.txt'}",
    ]


def test_url_presigns_with_the_requested_lifetime(cli):
    cli.storage.node("s3:shared/report.txt").write_bytes(b"signed")
    url = cli.out("url", "--expires", "120", "s3:shared/report.txt").strip()
    assert "X-Amz-Expires=120" in url and "report.txt" in url
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"signed"
    line = cli.error("url", "disk:nothing.txt")
    assert "has no URL" in line
    assert "--expires" in cli.error("url", "--expires", "0", "s3:x", code=2)


# -- cp, mv, rm, mkdir ----------------------------------------------------------------


def test_cp_plain_local_path_into_an_s3_folder(cli):
    (cli.work / "data.csv").write_bytes(b"city,temp\nRome,21\n")
    cli("cp", "./data.csv", "s3:raw/")  # trailing '/': into the folder
    cli("cp", "data.csv", "s3:raw/renamed.csv")  # a bare relative path is local too
    cli("cp", str(cli.work / "data.csv"), "s3:raw")  # an existing folder: into it
    assert tree_of(cli.storage, "s3:raw") == {
        "data.csv": b"city,temp\nRome,21\n",
        "renamed.csv": b"city,temp\nRome,21\n",
    }
    cli("cp", "s3:raw/data.csv", "./back/")
    assert (cli.work / "back" / "data.csv").read_bytes() == b"city,temp\nRome,21\n"
    assert not cli("cp", "data.csv", "s3:quiet.csv").stderr  # no terminal: no bar, no noise


def test_cp_tree_onto_and_into_with_include_exclude_and_skip_if(cli):
    write_tree(
        cli.work / "site",
        {"a.csv": b"a", "b.txt": b"b", "sub/c.csv": b"c", "sub/skip-me.csv": b"s"},
    )
    cli("cp", "site", "s3:onto", "--include", "*.csv", "--exclude", "skip*")
    assert tree_of(cli.storage, "s3:onto") == {"a.csv": b"a", "sub/c.csv": b"c"}
    cli("cp", "site", "s3:into/")
    assert set(tree_of(cli.storage, "s3:into")) == {
        "site/a.csv",
        "site/b.txt",
        "site/sub/c.csv",
        "site/sub/skip-me.csv",
    }
    # --skip-if: a changed source file of the same size is left alone by 'size' ...
    (cli.work / "site" / "a.csv").write_bytes(b"A")
    (cli.work / "site" / "b.txt").write_bytes(b"longer")
    result = cli("cp", "site", "s3:onto", "--skip-if", "size", "-v", "--include", "*.csv")
    assert tree_of(cli.storage, "s3:onto")["a.csv"] == b"a"
    assert result.stderr.decode().strip() == "1 copied (1 bytes), 2 skipped"  # skip-me.csv
    # ... and replaced by 'hash'; 'exists' keeps whatever is there.
    cli("cp", "site/a.csv", "s3:onto/a.csv", "--skip-if", "hash")
    assert tree_of(cli.storage, "s3:onto")["a.csv"] == b"A"
    cli("cp", "site/b.txt", "s3:onto/a.csv", "--skip-if", "exists")
    assert tree_of(cli.storage, "s3:onto")["a.csv"] == b"A"
    assert "--skip-if" in cli.error("cp", "site", "s3:x", "--skip-if", "never", code=2)


def test_cp_progress_bar_when_asked(cli):
    (cli.work / "big.bin").write_bytes(os.urandom(9 * MiB))
    result = cli("cp", "--progress", "big.bin", "s3:big.bin")
    bar = result.stderr.decode()
    assert "1/1 files" in bar and "9.00M/9.00M" in bar
    tree = {f"t/{i}.bin": b"x" * 1000 for i in range(3)}
    write_tree(cli.work, tree)
    bar = cli("cp", "--progress", "t", "disk:t").stderr.decode()
    assert "3/3 files" in bar


def test_mv_file_and_tree_and_a_local_move_is_a_rename(cli):
    write_tree(cli.work / "tree", {"x.txt": b"x", "in/y.txt": b"y"})
    cli("mv", "tree", "s3:moved")
    assert not (cli.work / "tree").exists()
    assert tree_of(cli.storage, "s3:moved") == {"x.txt": b"x", "in/y.txt": b"y"}
    cli("mv", "s3:moved/x.txt", "./")
    assert (cli.work / "x.txt").read_bytes() == b"x"
    assert not cli.storage.node("s3:moved/x.txt").exists
    inode = (cli.work / "x.txt").stat().st_ino
    cli("mv", "x.txt", "renamed.txt")
    assert (cli.work / "renamed.txt").stat().st_ino == inode
    cli.storage.node("disk:stays.txt").write_bytes(b"s")
    line = cli.error("mv", "ro:stays.txt", "s3:stays.txt")
    assert "readonly" in line and "ro:stays.txt" in line
    assert cli.storage.node("disk:stays.txt").exists
    assert not cli.storage.node("s3:stays.txt").exists


def test_rm_and_mkdir(cli):
    cli("mkdir", "-p", "disk:a/b/c")
    cli("mkdir", "-p", "disk:a/b/c")  # -p: no error when it exists
    assert cli.storage.node("disk:a/b/c").isdir
    assert "disk:a/b/c" in cli.error("mkdir", "disk:a/b/c")
    assert "use rm -r" in cli.error("rm", "disk:a")
    cli("rm", "-r", "disk:a")
    assert not cli.storage.node("disk:a").exists
    assert "No such file" in cli.error("rm", "disk:a")
    cli("rm", "-f", "disk:a")
    cli.storage.node("s3:f1.txt").write_bytes(b"1")
    cli.storage.node("s3:f2.txt").write_bytes(b"2")
    cli("rm", "s3:f1.txt", "s3:f2.txt")
    assert cli.out("ls", "s3:") == ""
    (cli.work / "local.txt").write_bytes(b"l")
    cli("rm", "local.txt")
    assert not (cli.work / "local.txt").exists()


# -- sync ----------------------------------------------------------------------------


def test_sync_copies_what_differs_and_deletes_only_with_delete(cli):
    write_tree(cli.work / "src", {"a.txt": b"aaa", "b.txt": b"bbb", "sub/c.txt": b"ccc"})
    result = cli("sync", "src", "s3:mirror", "-v")
    assert result.stderr.decode().strip() == "3 copied (9 bytes), 0 skipped, 0 deleted"
    (cli.work / "src" / "a.txt").write_bytes(b"AAA")  # same size, new content
    (cli.work / "src" / "b.txt").write_bytes(b"bbbb")  # new size
    result = cli("sync", "src", "s3:mirror", "-v")
    assert result.stderr.decode().strip() == "1 copied (4 bytes), 2 skipped, 0 deleted"
    assert tree_of(cli.storage, "s3:mirror")["a.txt"] == b"aaa"
    cli("sync", "--checksum", "src", "s3:mirror")
    assert tree_of(cli.storage, "s3:mirror")["a.txt"] == b"AAA"
    # Files DST has and SRC lacks: kept without --delete, deleted with it, unless the
    # filters protect them.
    cli.storage.node("s3:mirror/extra.txt").write_bytes(b"e")
    cli.storage.node("s3:mirror/old/gone.txt").write_bytes(b"g")
    cli.storage.node("s3:mirror/keep.log").write_bytes(b"k")
    cli("sync", "src", "s3:mirror")
    assert "extra.txt" in tree_of(cli.storage, "s3:mirror")
    result = cli("sync", "src", "s3:mirror", "--delete", "--exclude", "*.log", "-v")
    assert result.stderr.decode().strip().endswith("2 deleted")
    assert tree_of(cli.storage, "s3:mirror") == {
        "a.txt": b"AAA",
        "b.txt": b"bbbb",
        "sub/c.txt": b"ccc",
        "keep.log": b"k",
    }
    # Back to a local folder: folders SRC lacks go too.
    (cli.work / "back" / "stale" / "deeper").mkdir(parents=True)
    (cli.work / "back" / "stale" / "deeper" / "x").write_bytes(b"x")
    cli("sync", "s3:mirror", "back", "--delete")
    assert sorted(
        p.relative_to(cli.work / "back").as_posix() for p in (cli.work / "back").rglob("*")
    ) == [
        "a.txt",
        "b.txt",
        "keep.log",
        "sub",
        "sub/c.txt",
    ]


# -- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["frobnicate"], 2, "No such command"),
        (["ls", "--bogus", "s3:"], 2, "--bogus"),
        (["cp", "only-one"], 2, "DST"),
        (["cat", "s3:missing.txt"], 1, "No such file or directory: 's3:missing.txt'"),
        (["cat", "./missing.txt"], 1, "missing.txt"),
        (["ls", "nomount:x"], 1, "unknown mount 'nomount'"),
        (["cp", "./src.txt", "ro:copy.txt"], 1, "Mount 'ro' is readonly"),
        (["mkdir", "ro:newdir"], 1, "Mount 'ro' is readonly"),
        (["rm", "./missing.txt"], 1, "No such file or directory: '/"),
        (["cat", "s3:"], 1, "s3:"),
        (["--config", "nowhere.yaml", "mounts"], 1, "nowhere.yaml"),
    ],
)
def test_errors_are_one_line_on_stderr_without_traceback(cli, args, code, words):
    (cli.work / "src.txt").write_bytes(b"s")
    line = cli.error(*args, code=code)
    assert words in line


def test_bad_configuration_files_are_one_line_errors(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("- {name: x, type: memory\n  - nope: [", "utf-8")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(yaml.safe_dump([{"name": "x", "type": "floppy"}]), "utf-8")
    for path, words in [(broken, "Cannot parse"), (unknown, "floppy")]:
        result = run_cli("ls", "x:", cwd=tmp_path, env=cli_env(path))
        lines = result.stderr.decode().splitlines()
        assert result.returncode == 1 and len(lines) == 1, lines
        assert lines[0].startswith("genro-storage: error: ") and words in lines[0]


# -- Ctrl-C --------------------------------------------------------------------------


def _interrupt_when_bytes_flow(cli: Cli, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Start a copy with a progress bar; send SIGINT once the bar shows (bytes have been
    sent: the copy is under way) and return the finished process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "genro_storage.cli", *args, "--progress"],
        cwd=cli.work,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    ready, _, _ = select.select([process.stderr], [], [], 120)
    assert ready, "the copy never started"
    first = os.read(process.stderr.fileno(), 65536)
    assert process.poll() is None, "the copy ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, first + err)


def _leftover_uploads(s3_server: Any, cli: Cli) -> list[str]:
    config = cli.storage.mount_config("s3").options
    listing = s3_server.client().list_multipart_uploads(
        Bucket=config["bucket"], Prefix=config["prefix"]
    )
    return [u["Key"] for u in listing.get("Uploads", [])]


def test_ctrl_c_cancels_an_upload_to_s3_leaving_nothing(cli, s3_server):
    (cli.work / "big.bin").write_bytes(os.urandom(128 * MiB))
    result = _interrupt_when_bytes_flow(cli, "cp", "big.bin", "s3:big.bin")
    assert result.returncode == 130, result.stderr.decode()[-500:]
    assert result.stderr.decode().splitlines()[-1].endswith("genro-storage: interrupted")
    assert b"Traceback" not in result.stderr
    assert not cli.storage.node("s3:big.bin").exists
    assert cli.out("ls", "s3:") == ""
    assert _leftover_uploads(s3_server, cli) == []


def test_ctrl_c_cancels_a_download_leaving_no_partial_file(cli):
    cli.storage.node("s3:big.bin").write_bytes(os.urandom(64 * MiB))
    (cli.work / "down").mkdir()
    result = _interrupt_when_bytes_flow(cli, "cp", "s3:big.bin", "down/big.bin")
    assert result.returncode == 130, result.stderr.decode()[-500:]
    assert b"Traceback" not in result.stderr
    assert list((cli.work / "down").iterdir()) == []  # no big.bin, no temporary file


# -- explore -------------------------------------------------------------------------


async def test_explore_builds_the_explorer_over_the_configured_mounts(cli, monkeypatch):
    (Path(cli.storage.mount_config("disk").options["path"]) / "seen.txt").write_text("x")
    configs = yaml.safe_load(cli.config.read_text("utf-8"))
    vault = dict(configs[0], name="vault", key="cli-key-id", secret=SECRETS[0])
    cli.config.write_text(yaml.safe_dump([*configs, vault]), "utf-8")
    result = cli("explore", "--no-launch", "--port", "8765")
    lines = dict(line.split(": ", 1) for line in result.stdout.decode().splitlines())
    notebook = Path(lines["notebook"])
    command = lines["command"].split()
    assert command[1:3] == ["-m", "voila"] and str(notebook) in command
    assert "--Voila.ip=127.0.0.1" in command and "--port=8765" in command
    text = notebook.read_text("utf-8")
    assert SECRETS[0] not in text and "cli-key-id" not in text  # it names the file only
    assert str(cli.config) in text
    code = "".join(json.loads(text)["cells"][1]["source"])
    monkeypatch.chdir(cli.work)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(notebook), "exec"), namespace)  # what the kernel runs
    explorer, storage = namespace["explorer"], namespace["storage"]
    try:
        assert isinstance(storage, AsyncStorageManager)
        assert storage.mounts == ["s3", "disk", "ro", "vault"]
        assert await explorer.open_mount("disk") is True
        assert explorer.active.names == ["seen.txt"]
    finally:
        explorer.close()
        await storage.close()
        notebook.unlink()
        notebook.parent.rmdir()


def test_explore_without_mounts_is_a_one_line_error(tmp_path):
    result = run_cli("explore", "--no-launch", cwd=tmp_path, env=cli_env(HOME=str(tmp_path)))
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and "no mounts to explore" in lines[0]


# -- the library rule the local paths rely on ------------------------------------------


async def test_a_local_mount_at_the_filesystem_root_reaches_every_path(tmp_path):
    (tmp_path / "f.txt").write_bytes(b"root")
    relative = str(tmp_path / "f.txt").lstrip("/")
    config = [{"name": "root", "type": "local", "path": "/"}]
    with StorageManager(config) as storage:
        assert storage.node("root", relative).read_bytes() == b"root"
        top = relative.split("/")[0]
        assert top in [c.basename for c in storage.node("root:").children()]
    async with AsyncStorageManager(config) as storage:
        assert await storage.node("root", relative).read_bytes() == b"root"


def test_the_console_script_runs_main(capsys):
    from genro_storage import __version__
    from genro_storage.cli import main

    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    scripts = pyproject.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    assert scripts.strip() == 'genro-storage = "genro_storage.cli:main"'
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"genro-storage, version {__version__}"
