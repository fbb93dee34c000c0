"""A throwaway PostgreSQL cluster in a temp folder (initdb + pg_ctl, unix socket only): the tests
and the benchmark run the shared store on it. Needs Debian's ``postgresql`` package."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

MISSING = (
    "PostgreSQL is not installed, so the PostgreSQL store cannot be tested: run"
    " `scripts/setup --test` (it installs Debian's postgresql package) or"
    " `apt-get install postgresql`."
)


def bin_dir() -> Path:
    """The folder of initdb and pg_ctl: the newest Debian PostgreSQL, else the PATH's."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(MISSING)


class PgCluster:
    """A cluster owned by this process: ``start()``, ``database()`` per test, ``stop()``."""

    def __init__(self) -> None:
        self.bin = bin_dir()
        self.folder = Path(tempfile.mkdtemp(prefix="turnero-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        # initdb refuses to run as root: then the cluster belongs to the postgres user.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        done = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, cwd=self.folder, check=False
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{log}")

    def start(self) -> PgCluster:
        """initdb (first time only), then start and wait until it accepts connections."""
        if not self.data.exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "turnero",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
        options = (
            f"-k {self.folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
            " -c max_connections=300 -c shared_buffers=32MB"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "start",
        )  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is a crash); the data stays for ``start()``."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://turnero@/{database}?host={self.folder}&port=5432"

    def database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def remove(self) -> None:
        """Stop at once and delete every file."""
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
