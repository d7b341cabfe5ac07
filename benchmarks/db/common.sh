# Helpers both database benchmarks source (benchmarks/db/mariadb.sh, benchmarks/db/postgresql.sh).
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
size() { du -sb "$1" | cut -f1; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# Rounds swing together with the machine (a shared VM): the median of each round's own ratio is the steadier figure.
round_ratios() { local -n ours=$1 theirs=$2; local i; for i in "${!ours[@]}"; do ratio "${ours[$i]}" "${theirs[$i]}"; echo; done; }
# System CPU seconds this machine spends writing 1 GiB into a new file in directory $1, in blocks of $2 bytes.
# A reference tool writing "> file" pays it in its stdio blocks (mariadb-dump: 4 KiB, 245,821 writes for its 1 GB
# dump), ours in blocks of a megabyte and more. On this VM it swings severalfold within an hour (docs/databases.md),
# so the reports print it, and a ratio against "> file" can be read with it.
write_cost() {
    local file="$1/write-cost.tmp" sys
    rm -f "$file"; sync
    sys=$( { TIMEFORMAT=%S; time dd if=/dev/zero of="$file" bs="$2" count=$(( 1073741824 / $2 )) status=none; } 2>&1 )
    rm -f "$file"; sync
    echo "$sys"
}
write_costs() { echo "$(write_cost "$1" 4096) s in 4 KiB writes, $(write_cost "$1" 1048576) s in 1 MiB writes"; }

# cached PATH...: reads the files once, untimed, so a restore reads them from the page cache as the other side's
# does: our CLI writes a local repository past the cache (direct I/O), the reference tools write their files through it.
cached() { find "$@" -type f -print0 | xargs -0 cat >/dev/null; }
