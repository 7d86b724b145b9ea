"""Hostile files through the real command line: every class of file issue 9 names, built in a
temporary folder, given to `autocode import` (a fresh project) or `autocode suggest` as a user
would, with the exit code, the message, the wall time and the peak memory of each run.

Goal per row: exit code 2, one line on stderr, under 5 s, peak RSS under 1 GB (a valid file
among them: exit 0, nothing on stderr). A row that
misses it is named in "misses". Each command runs under an address-space limit (RLIMIT_AS) so
that a guard that failed could not take this shared machine down. The reader alone (the same
file read in a fresh Python process, without the CLI's model loading) is timed beside it.

    .venv/bin/python benchmarks/hostile.py          # then benchmarks/fuzz.py adds "fuzz"
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import hostile_builders as hb  # noqa: E402
from machine import machine_facts  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "hostile.json"
AUTOCODE = Path(sys.executable).with_name("autocode")
MB, GB = hb.MB, 1024 * hb.MB
BOMB = 3 * GB  # the case: a 3 MB .qdpx whose source unpacks to 3 GB
GOAL_SECONDS, GOAL_RSS_MB = 5.0, 1024
# Address space per command: the import path stays far below it; suggest loads torch.
ADDRESS_SPACE = {"import": 4 * GB, "suggest": 12 * GB}


@dataclass
class Row:
    name: str
    kind: str  # the class of hostile file
    build: Callable[[Path], Path]
    command: str  # "import" or "suggest"
    expect_exit: int = 2  # 0: a valid file that is merely large


def _laughs_docx(path: Path) -> Path:
    document = f'<?xml version="1.0"?>{hb.billion_laughs("w:document")}<w:document xmlns:w="'
    document += f'{hb.W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>'
    name = "word/document.xml"
    members = hb.replaced(hb.members_of(hb.docx_bytes()), name, hb.plain(name, document.encode()))
    return hb.write_zip(path, members)


def _laughs_xlsx(path: Path) -> Path:
    name = "xl/worksheets/sheet1.xml"
    sheet = f'<?xml version="1.0"?>{hb.billion_laughs("worksheet")}<worksheet xmlns="'
    sheet += f'{hb.SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t>'
    sheet += "</is></c></row></sheetData></worksheet>"
    members = hb.replaced(hb.members_of(hb.xlsx_bytes()), name, hb.plain(name, sheet.encode()))
    return hb.write_zip(path, members)


def _laughs_qdc(path: Path) -> Path:
    path.write_text(
        f'<?xml version="1.0"?>{hb.billion_laughs("CodeBook")}<CodeBook xmlns="urn:QDA-XML:'
        'codebook:1.0"><Codes><Code guid="0f4e6b8e-3c1b-4d6e-9b7a-2c3d4e5f6a7b" name="&lol9;" '
        'isCodable="true"/></Codes></CodeBook>'
    )
    return path


def _many_members_qdpx(path: Path) -> Path:
    members = [hb.plain("project.qde", hb.project_qde())]
    members += [hb.plain(f"Sources/{i}.txt", b"") for i in range(60_000)]
    return hb.write_zip(path, members)


def _deep_qdpx(path: Path) -> Path:
    qde = hb.project_qde(hb.deep_xml(1_000_000).decode())
    return hb.write_zip(path, [hb.plain("project.qde", qde)])


def _doctype_after_comment(path: Path) -> Path:
    head = "<!--" + "x" * (4 * MB) + "-->" + hb.billion_laughs("Project")
    path.write_bytes(hb.project_qde(head=head))
    return path


def _many_codes_qdpx(path: Path) -> Path:
    codes = "".join(
        f'<Code guid="{i:08d}-2222-4333-8444-555555555555" name="c{i}" isCodable="true"/>'
        for i in range(10_000)
    )
    source = f'<TextSource guid="{hb.GUID}" name="a"><PlainTextContent>P1: hi</PlainTextContent>'
    qde = hb.project_qde(source + "</TextSource>").replace(
        b"<Sources>", f"<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>".encode()
    )
    return hb.write_zip(path, [hb.plain("project.qde", qde)])


def _utf16_qdpx(path: Path) -> Path:
    return hb.write_zip(path, hb.small_qdpx_members(hb.MALFORMED_UTF16))


def _write(data: bytes) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return build


def _huge_csv_line(path: Path) -> Path:
    return hb.huge_line(path, 30 * MB, prefix=b"id,answer,codes\nr1,")


def _nested_bomb(path: Path) -> Path:
    inner = hb.docx_bomb(path.with_name("inner.docx"), BOMB)
    return hb.nested_qdpx(path, inner.read_bytes())


def _recursive(path: Path) -> Path:
    bottom = hb.docx_bomb(path.with_name("bottom.docx"), BOMB).read_bytes()
    return hb.recursive_qdpx(path, 10, bottom)


ROWS = [
    Row("bomb.qdpx", "zip bomb: .qdpx source 3 GB", lambda p: hb.qdpx_bomb(p, BOMB), "import"),
    Row(
        "liar.qdpx",
        "zip bomb: .qdpx source declares 1 KB, inflates to 3 GB",
        lambda p: hb.qdpx_bomb(p, BOMB, lie=True),
        "import",
    ),
    Row(
        "bomb.docx", "zip bomb: .docx document.xml 3 GB", lambda p: hb.docx_bomb(p, BOMB), "suggest"
    ),
    Row("bomb.odt", "zip bomb: .odt content.xml 3 GB", lambda p: hb.odt_bomb(p, BOMB), "suggest"),
    Row("bomb.xlsx", "zip bomb: .xlsx sheet 3 GB", lambda p: hb.xlsx_bomb(p, BOMB), "import"),
    Row(
        "media.docx",
        "zip bomb: .docx with 1,000 members of 1 MB (each under the ratio floor)",
        lambda p: hb.many_members_bomb(p, 1000),
        "suggest",
    ),
    Row("crowded.qdpx", "60,000 members in one archive", _many_members_qdpx, "import"),
    Row("nested.qdpx", "nested: 3 GB .docx bomb as a .qdpx source", _nested_bomb, "import"),
    Row(
        "recursive.qdpx",
        "recursive: .qdpx in .qdpx, 10 deep, bomb at the bottom",
        _recursive,
        "import",
    ),
    Row(
        "laughs.qdpx",
        "XML: billion laughs in project.qde",
        lambda p: hb.qdpx_with_doctype(p, hb.billion_laughs("Project"), "&lol9;"),
        "import",
    ),
    Row(
        "xxe.qdpx",
        "XML: external entity (file:///etc/passwd) in project.qde",
        lambda p: hb.qdpx_with_doctype(p, hb.EXTERNAL_ENTITY.format(root="Project"), "&xxe;"),
        "import",
    ),
    Row(
        "dtd.qdpx",
        "XML: external DTD over the network",
        lambda p: hb.qdpx_with_doctype(p, hb.EXTERNAL_DTD.format(root="Project")),
        "import",
    ),
    Row(
        "late.qde",
        "XML: DOCTYPE after a 4 MB comment (bare .qde)",
        _doctype_after_comment,
        "import",
    ),
    Row("laughs.qdc", "XML: billion laughs in a .qdc codebook", _laughs_qdc, "import"),
    Row("laughs.docx", "XML: billion laughs in a .docx", _laughs_docx, "suggest"),
    Row("laughs.xlsx", "XML: billion laughs in an .xlsx sheet", _laughs_xlsx, "import"),
    Row("deep.qdpx", "XML: 1,000,000 nested elements", _deep_qdpx, "import"),
    Row(
        "codes.qdpx", "10,000 codes (a valid file: it should import)", _many_codes_qdpx, "import", 0
    ),
    Row(
        "line.txt",
        "huge single-line text: 64 MB .txt",
        lambda p: hb.huge_line(p, 64 * MB),
        "suggest",
    ),
    Row(
        "line.vtt",
        "huge single-line text: 64 MB .vtt",
        lambda p: hb.huge_line(p, 64 * MB),
        "suggest",
    ),
    Row(
        "line.csv",
        "huge single-line text: 30 MB .csv cell (under the size limit)",
        _huge_csv_line,
        "import",
    ),
    Row("utf16.txt", "malformed UTF-16 .txt", _write(hb.MALFORMED_UTF16), "suggest"),
    Row("utf16.qdpx", "malformed UTF-16 source in a .qdpx", _utf16_qdpx, "import"),
]


def run_cli(arguments: list[str], limit: int, folder: Path) -> dict[str, Any]:
    """Run autocode; exit code, stderr lines, wall time and this child's own peak RSS."""
    stderr_path = folder / "stderr.txt"

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with stderr_path.open("wb") as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(AUTOCODE), *arguments],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit_memory,
            env={**os.environ, "COLUMNS": "200"},
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    lines = [line for line in stderr_path.read_text(errors="replace").splitlines() if line.strip()]
    return {
        "exit_code": os.waitstatus_to_exitcode(status),
        "stderr_lines": len(lines),
        "message": lines[-1] if lines else "",
        "stderr": lines[:5],
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


_READ_ALONE = """
import resource, sys, time
from pathlib import Path
path = Path(sys.argv[1])
started = time.perf_counter()
try:
    if path.suffix in (".qdpx", ".qde"):
        from autocode.io.refi import import_qdpx
        import_qdpx(path)
    elif path.suffix == ".qdc":
        from autocode.io.refi import import_qdc
        import_qdc(path)
    else:
        from autocode.io import read
        read(path)
    outcome = "read"
except Exception as error:
    outcome = type(error).__name__
print(outcome, round(time.perf_counter() - started, 3),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def read_alone(path: Path) -> dict[str, Any]:
    """The reader alone in a fresh process: outcome, seconds inside read, peak RSS (MB)."""
    result = subprocess.run(
        [sys.executable, "-c", _READ_ALONE, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (4 * GB, 4 * GB)),
    )
    fields = (result.stdout.split() or ["crashed", "0", "0"])[:3]
    return {"outcome": fields[0], "read_s": float(fields[1]), "peak_rss_mb": int(fields[2])}


def measure(row: Row, folder: Path) -> dict[str, Any]:
    began = time.perf_counter()
    path = row.build(folder / row.name)
    built = time.perf_counter() - began
    if row.command == "import":
        arguments = ["import", str(path), "--project", str(folder / f"project-{row.name}")]
        if path.suffix in (".xlsx", ".csv"):
            arguments += ["--codes-column", "codes"]
    else:
        arguments = ["suggest", str(path), "--out", str(folder / f"out-{row.name}")]
    start_up = run_cli(["--help"], ADDRESS_SPACE["import"], folder)["wall_s"]
    cli = run_cli(arguments, ADDRESS_SPACE[row.command], folder)
    one_line = cli["stderr_lines"] == 1 and cli["message"].startswith("error: ")
    checks = {
        f"exit code {row.expect_exit}": cli["exit_code"] == row.expect_exit,
        "one line": one_line if row.expect_exit else cli["stderr_lines"] == 0,
        "under 5 s": cli["wall_s"] < GOAL_SECONDS,
        "under 1 GB": cli["peak_rss_mb"] < GOAL_RSS_MB,
    }
    project = folder / f"project-{row.name}"
    return {
        "file": row.name,
        "kind": row.kind,
        "file_bytes": path.stat().st_size,
        "build_s": round(built, 2),
        "command": "autocode " + " ".join(a.replace(str(folder) + "/", "") for a in arguments),
        **cli,
        "cli_start_up_s": start_up,  # `autocode --help` just before: what the load costs now
        "message": cli["message"].replace(str(folder) + "/", ""),
        "stderr": [line.replace(str(folder) + "/", "") for line in cli["stderr"]],
        "project_left_behind": project.exists(),
        "reader_alone": read_alone(path),
        "goal": checks,
        "goal_met": all(checks.values()),
    }


def _reference(folder: Path) -> dict[str, Any]:
    """What the command line costs on a good file in this run: the machine is shared."""
    good = hb.write_zip(folder / "good.qdpx", hb.small_qdpx_members())
    imported = run_cli(["import", str(good), "--project", str(folder / "good")], 4 * GB, folder)
    helped = run_cli(["--help"], 4 * GB, folder)
    return {
        "good_import_s": imported["wall_s"],
        "good_import_exit_code": imported["exit_code"],
        "good_import_peak_rss_mb": imported["peak_rss_mb"],
        "help_s": helped["wall_s"],
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="file names of the rows to run (a trial)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as temporary:
        folder = Path(temporary)
        for row in ROWS:
            if args.only and row.name not in args.only:
                continue
            result = measure(row, folder)
            rows.append(result)
            mark = "ok  " if result["goal_met"] else "MISS"
            print(
                f"{mark} {row.kind[:60]:60} exit {result['exit_code']} {result['wall_s']:5.2f} s "
                f"(start-up {result['cli_start_up_s']:4.2f} s, reader alone "
                f"{result['reader_alone']['read_s']:5.2f} s) "
                f"{result['peak_rss_mb']:7.1f} MB  {result['message'][:90]}",
                flush=True,
            )
            for built in folder.iterdir():  # keep the disk use of one row at a time
                if built.is_file() and built.name != "stderr.txt":
                    built.unlink()
        reference = _reference(folder)
    if args.only:
        print("reference", reference)
        return
    document = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    document.update(
        {
            "benchmark": "benchmarks/hostile.py",
            "goal": "exit code 2, one line on stderr, under 5 s, peak RSS under 1 GB per file",
            "machine": machine_facts(),
            "seconds": round(time.perf_counter() - started, 1),
            "reference": reference,
            "rows": rows,
            "misses": [
                {"file": r["file"], "failed": [k for k, ok in r["goal"].items() if not ok]}
                for r in rows
                if not r["goal_met"]
            ],
        }
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
