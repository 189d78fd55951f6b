#!/usr/bin/env python3
"""Fill in (or check) the expected results of a logic test file by running
it against a local PostgreSQL 15: pg_compare.sh calls this. Each file runs
in a fresh database."""
import subprocess, sys

PSQL = ["psql", "-X", "-h", "127.0.0.1", "-p", sys.argv[2] if len(sys.argv) > 2 else "55432", "-U", "postgres"]

def psql(db, sql):
    p = subprocess.run(PSQL + ["-d", db, "-q", "-At", "-F", " ", "-P", "null=NULL", "-v", "ON_ERROR_STOP=1",
                               "-v", "VERBOSITY=verbose", "-c", sql], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr

def main():
    path = sys.argv[1]
    recs, cur = [], []
    for line in open(path).read().split("\n"):
        if line.strip() == "":
            if cur: recs.append(cur); cur = []
        else:
            cur.append(line)
    if cur: recs.append(cur)
    subprocess.run(PSQL + ["-d", "postgres", "-qc", "DROP DATABASE IF EXISTS logic"], capture_output=True)
    subprocess.run(PSQL + ["-d", "postgres", "-qc", "CREATE DATABASE logic"], capture_output=True)
    out, bad = [], 0
    for r in recs:
        comments = [l for l in r if l.startswith("#")]
        body = r[len(comments):] if r[:len(comments)] == comments else r
        if not body:
            out.append("\n".join(r)); continue
        # "# lineradb: ..." marks a construct LineraDB deliberately rejects
        # (0A000) or answers differently on purpose: PostgreSQL is not asked.
        if any(c.startswith("# lineradb:") for c in comments):
            out.append("\n".join(r)); continue
        r = body
        head = r[0]
        orig = r
        if "----" in r:
            r = r[:r.index("----")]
        sql = "\n".join(r[1:])
        code, stdout, stderr = psql("logic", sql)
        if head.startswith("query"):
            if code != 0:
                print(f"{path}: PostgreSQL failed: {sql}\n{stderr}", file=sys.stderr); bad += 1
            rows = [l for l in stdout.split("\n") if l != ""]
            if len(head.split()) > 2 and head.split()[2] == "rowsort":
                rows.sort()
            if len(head.split()) > 2 and head.split()[2] == "valuesort":
                rows = sorted(v for l in rows for v in l.split(" "))
            want = orig[orig.index("----") + 1:] if "----" in orig else None
            if len(head.split()) > 2 and head.split()[2] == "rowsort" and want is not None:
                want = sorted(want)
            # psql prints an empty string as nothing; the runner as (empty).
            norm = lambda rows: [l.replace("(empty)", "") for l in rows]
            if want is not None and norm(want) != norm(rows) and "--write" not in sys.argv:
                print(f"{path}: PostgreSQL answers differently: {sql}\n  want (file): {want}\n  PostgreSQL:  {rows}", file=sys.stderr); bad += 1
            out.append("\n".join(comments + r + ["----"] + rows))
        else:
            want_ok = head == "statement ok"
            if want_ok != (code == 0):
                print(f"{path}: PostgreSQL disagrees with '{head}': {sql}\n{stderr}", file=sys.stderr); bad += 1
            elif not want_ok:
                pat = head.split()[2] if len(head.split()) > 2 else ""
                if len(pat) == 5 and pat.isalnum() and pat not in stderr:
                    print(f"{path}: PostgreSQL SQLSTATE differs from {pat}: {stderr.strip()}", file=sys.stderr); bad += 1
            out.append("\n".join(comments + r))
    if "--write" in sys.argv:
        open(path, "w").write("\n\n".join(out) + "\n")
    sys.exit(1 if bad else 0)

main()
