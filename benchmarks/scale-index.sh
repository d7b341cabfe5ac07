#!/usr/bin/env bash
# Issue #21 "a 50-million-chunk index": runs benchmarks/PruneMeasure at several sizes and extrapolates, per chunk,
# the repository's in-memory ChunkIndex (what every command holds once the repository is open, a backup included),
# the time to open the repository (index load), prune's own structures and the prune process's peak working set,
# to 10M and 50M chunks, and to the largest repository a process of MEMORY_GIB can open, back up into and prune.
# Usage: benchmarks/scale-index.sh [CHUNKS...]     (run from the repository's root; default 1000000 2000000 5000000)
# Env:   MEMORY_GIB (default 4), AVG_CHUNK_KIB (the chunker's average chunk, for TB per chunk count; default 1024),
#        TMPDIR (where PruneMeasure generates its repositories: ~190 MB per million chunks).
# PruneMeasure is left as it is (its figures are the ones docs/maintenance.md quotes); this script only drives it
# and fits a straight line (least squares) through its figures, so it can be re-run after the index changes.
set -euo pipefail
sizes=("$@"); [[ ${#sizes[@]} -gt 0 ]] || sizes=(1000000 2000000 5000000)
memory_gib=${MEMORY_GIB:-4}
avg_kib=${AVG_CHUNK_KIB:-1024}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build benchmarks/PruneMeasure -c Release --nologo -v q -warnaserror >/dev/null
dll=benchmarks/PruneMeasure/bin/Release/net10.0/PruneMeasure.dll
[[ -f $dll ]] || dll=$(find benchmarks/PruneMeasure/bin/Release -name PruneMeasure.dll | head -1)
echo "PruneMeasure at ${sizes[*]} chunks; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${sizes[@]}"; do
  dotnet "$dll" "$n" | tee "$out/$n.txt" | sed "s/^/  $n: /"
  echo "  $n: load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
python3 - "$out" "$memory_gib" "$avg_kib" "${sizes[@]}" <<'EOF'
import re, sys
out, gib, avg_kib, sizes = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), [int(s) for s in sys.argv[4:]]
rows = []
for n in sizes:
    t = open(f"{out}/{n}.txt").read()
    num = lambda pat: float(re.search(pat, t).group(1).replace(",", ""))
    rows.append(dict(n=n,
        blobs=num(r"removed ([\d,]+)") + num(r"kept ([\d,]+)"),
        open_s=num(r"open \(load index\): ([\d.]+) s"), index_mb=num(r"ChunkIndex: ([\d.]+) MB"),
        disk_mb=num(r"on storage: ([\d.]+) MB"), prune_mb=num(r"prune structures[^:]*: ([\d.]+) MB"),
        peak_mb=num(r"peak working set ([\d.]+) MB"), dry_s=num(r"prune dry run: ([\d.]+) s"), prune_s=num(r"; prune: ([\d.]+) s")))
print(f"\n{'chunks':>10} {'blobs':>10} {'open s':>7} {'index MB':>9} {'B/blob':>7} {'stored B/blob':>13} {'prune MB':>9} {'B/blob':>7} {'peak MB':>8} {'B/blob':>7} {'prune s':>8}")
for r in rows:
    b = r["blobs"]
    print(f"{r['n']:>10,} {b:>10,.0f} {r['open_s']:>7.2f} {r['index_mb']:>9.1f} {r['index_mb']*1e6/b:>7.1f} {r['disk_mb']*1e6/b:>13.1f} "
          f"{r['prune_mb']:>9.1f} {r['prune_mb']*1e6/b:>7.1f} {r['peak_mb']:>8.0f} {r['peak_mb']*1e6/b:>7.1f} {r['prune_s']:>8.2f}")
def fit(key):  # least squares y = a + b x over blobs; with one size, through the origin
    xs = [r["blobs"] for r in rows]; ys = [r[key] for r in rows]
    if len(xs) == 1: return 0.0, ys[0] / xs[0]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b
limit = gib * (1 << 30) / 1e6  # MB
print(f"\nstraight-line fits (per blob; the index's hash table doubles, so real figures step between fits):")
fits = {k: fit(k) for k in ("open_s", "index_mb", "prune_mb", "peak_mb")}
for k, (a, b) in fits.items():
    unit = "s" if k == "open_s" else "MB"
    print(f"  {k:9} = {a:8.1f} {unit} + {b*1e6:8.2f} {'us' if unit == 's' else 'B'} per blob")
for n in (10_000_000, 50_000_000):
    blobs = n * 1.02  # trees: about one tree blob per 50 data blobs at 10 files per directory, 5 chunks per file
    e = {k: a + b * blobs for k, (a, b) in fits.items()}
    print(f"  {n:>11,} chunks: open {e['open_s']:.0f} s, ChunkIndex {e['index_mb']/1e3:.2f} GB, "
          f"index + prune structures {(e['index_mb'] + e['prune_mb'])/1e3:.2f} GB, prune process peak {e['peak_mb']/1e3:.2f} GB")
for name, keys in (("open + back up (ChunkIndex)", ("index_mb",)), ("prune (ChunkIndex + prune structures)", ("index_mb", "prune_mb")), ("prune (measured peak working set)", ("peak_mb",))):
    a = sum(fits[k][0] for k in keys); b = sum(fits[k][1] for k in keys)
    blobs = (limit - a) / b
    print(f"  largest in {gib:g} GiB, {name}: {blobs/1e6:,.1f} M blobs = {blobs*avg_kib*1024/1e12:,.1f} TB of unique data at {avg_kib:g} KiB a chunk")
EOF
