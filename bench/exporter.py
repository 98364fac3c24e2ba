"""The national export, end to end (issue 13 §3): a network admin or Certif Pro asks the API for every file of its
perimeter, as a user would, and the script follows the job to the downloaded workbook.

It starts the platform as in production — gunicorn (2 workers, their 30 s timeout) and a Celery worker on the local
Redis — then:
- `GET /api/v1/candidature/export` (202 and the job beyond EXPORT_API_DIRECT_MAX rows);
- polls `GET /api/v1/export/<id>` until « pret » (or « echec »), printing the progress;
- downloads `/api/v1/export/<id>/fichier` and counts the workbook's rows (its sheet read as a stream);
- reports the time, the rows, the file's size and the peak memory of the Celery worker and of the web workers.

Usage (a database filled by `flask --app run clea bench-data --fichiers N`):

    DATABASE_URL=postgresql://postgres@127.0.0.1/clea_bench python bench/exporter.py [--login certifpro]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.mesurer import PASSWORD, start  # noqa: E402

PORT = 8702


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn's and Celery's workers), in KiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+)", status)
        total += int(found.group(1)) if found else 0
        pids.extend(int(child) for child in children)
    return total


class PeakMemory(threading.Thread):
    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids, self.peak = pids, dict.fromkeys(pids, 0)
        self.running = True

    def run(self) -> None:
        while self.running:
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_kib(pid))
            time.sleep(0.5)


def count_rows(path: str) -> int:
    """Rows of the workbook's first sheet, read as a stream (the file may hold a million rows)."""
    rows = 0
    with zipfile.ZipFile(path) as workbook:
        sheet = next(name for name in workbook.namelist() if name.startswith("xl/worksheets/sheet"))
        with workbook.open(sheet) as stream:
            tail = b""
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                data = tail + chunk
                rows += data.count(b"<row")
                tail = data[-3:]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--login", default="certifpro", help="le compte qui exporte (son périmètre entier)")
    parser.add_argument("--json", action="store_true", help="résultats en JSON")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgresql"):
        raise SystemExit("DATABASE_URL : une base PostgreSQL remplie par `flask --app run clea bench-data`.")
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/4")
    queue = f"clea-bench-{os.getpid()}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TASKS_RUNNER": "celery",
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE": queue,
    }
    web = start([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{PORT}", "run:app"], env, PORT)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app.tasks.worker", "worker", "-Q", queue, "-c", "1", "-P", "solo"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    memory = PeakMemory({"web": web.pid, "celery": worker.pid})
    base = f"http://127.0.0.1:{PORT}"
    try:
        token = requests.post(
            f"{base}/api/v1/security/login",
            json={"username": args.login, "password": PASSWORD, "provider": "db"},
            timeout=60,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        memory.start()
        started = time.perf_counter()
        asked = requests.get(f"{base}/api/v1/candidature/export", headers=headers, timeout=60)
        if asked.status_code != 202:
            raise SystemExit(f"Réponse {asked.status_code} au lieu de 202 : {asked.text[:300]}")
        job = asked.json()
        job_id = job.get("id") or job.get("result", {}).get("id")
        while True:
            time.sleep(2)
            state = requests.get(f"{base}/api/v1/export/{job_id}", headers=headers, timeout=60).json()
            state = state.get("result", state)
            print(
                f"  {time.perf_counter() - started:6.0f} s  {state.get('statut')}  {state.get('progression')} %  "
                f"{state.get('avancement')}",
                file=sys.stderr,
            )
            if state.get("statut") in ("pret", "echec"):
                break
        prepared = time.perf_counter() - started
        if state["statut"] != "pret":
            raise SystemExit(f"Export en échec : {state.get('erreur')}")
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as output:
            with requests.get(f"{base}/api/v1/export/{job_id}/fichier", headers=headers, stream=True, timeout=600) as r:
                r.raise_for_status()
                for chunk in r.iter_content(1 << 20):
                    output.write(chunk)
            output.flush()
            downloaded = time.perf_counter() - started
            size = output.tell()
            rows = count_rows(output.name)
        memory.running = False
        memory.join()
        result = {
            "compte": args.login,
            "lignes_attendues": state.get("lignes_total"),
            "lignes_du_classeur": rows - 1,  # its header row
            "octets": size,
            "prepare_s": round(prepared, 1),
            "telecharge_s": round(downloaded, 1),
            "memoire_max_celery_mio": round(memory.peak["celery"] / 1024),
            "memoire_max_web_mio": round(memory.peak["web"] / 1024),
        }
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                print(f"{key:26s} {value}")
    finally:
        memory.running = False
        for process in (worker, web):
            process.terminate()
        for process in (worker, web):
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
