"""The benchmark dataset: built once per (size, seed) with the project's own commands, then cached.

It lives under bench/results/data/ (gitignored): an instance folder with the SQLite database and a
filesystem archive (the database backend would hold 50,000 copies of the PDFs). With --database-url
it is built in that PostgreSQL database instead (which is wiped first).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import RESULTS, ROOT

EIA = str(Path(sys.executable).with_name("eia"))


@dataclass(frozen=True)
class Dataset:
    assessments: int
    seed: int
    instance: Path
    database_url: str | None

    eia_path = EIA

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "EIA_INSTANCE_DIR": str(self.instance),
            "EIA_ARCHIVE_BACKEND": "filesystem",
            "EIA_ARCHIVE_DIR": str(self.instance / "archive"),
            "EIA_DEMO_PASSWORD": PASSWORD,
            "EIA_CONFIG": "development",
            # The benchmarks sign in with a password alone, as the page workloads measure pages, not sign-in.
            "EIA_SECOND_FACTOR_REQUIRED": "0",
        }
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def eia(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([EIA, *args], env=self.env, cwd=ROOT, check=True, text=True, **kwargs)


PASSWORD = "bench-password-not-secret"


def ensure(assessments: int, seed: int, database_url: str | None, log=print) -> Dataset:
    name = f"{'pg' if database_url else 'sqlite'}-{assessments}-seed{seed}"
    dataset = Dataset(assessments, seed, RESULTS / "data" / name, database_url)
    marker = dataset.instance / "complete"
    if marker.exists() and (not database_url or marker.read_text() == database_url):
        log(f"dataset {name}: cached in {dataset.instance}")
        return dataset
    log(f"dataset {name}: building (once; cached afterwards)")
    subprocess.run(["rm", "-rf", str(dataset.instance)], check=True)
    dataset.instance.mkdir(parents=True)
    if database_url:
        _reset_postgres(database_url)
    started = time.perf_counter()
    dataset.eia("db", "upgrade", capture_output=True)
    dataset.eia("seed-demo", capture_output=True)
    generate_started = time.perf_counter()
    dataset.eia("dev", "generate", "--assessments", str(assessments), "--seed", str(seed))
    seconds = time.perf_counter() - generate_started
    if database_url:
        _vacuum_analyze(database_url)
    (dataset.instance / "generate-seconds").write_text(f"{seconds:.1f}")
    marker.write_text(database_url or "sqlite")
    log(f"dataset {name}: built in {time.perf_counter() - started:.0f} s (generate {seconds:.0f} s)")
    return dataset


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _vacuum_analyze(url: str) -> None:
    """What autovacuum does to a live database soon after a bulk load: planner statistics, the
    visibility map, the GIN pending list flushed. Without it (a server with autovacuum off, or a
    run straight after the build) every plan is guessed and the search measurements mean little."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
