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
