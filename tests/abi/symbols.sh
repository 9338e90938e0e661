#!/bin/bash
# symbols.sh SRCDIR CORE EXTRA EVENT PTHREADS: checks the dynamic symbols
# of the four shared libraries against the manifests in tests/abi.
#
#  - nothing exported beyond the library's manifest (no internal name);
#  - implemented parts complete: for every public header present in our
#    include/event2, each manifest symbol that libevent 2.1.12 declares in
#    that header (header-map.txt) is exported, and so is every manifest
#    symbol our own headers declare;
#  - libevent-2.1.so.7 carries core and extra; libevent_pthreads exports
#    evthread_use_pthreads.
# Prints a coverage summary (exported/total per manifest and per header).
set -u
src=$1; shift
abi=$src/tests/abi
inc=$src/include/event2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

grep -v '^#' "$abi/header-map.txt" > "$tmp/map"
ls "$inc" > "$tmp/ours"

# Manifest names our own headers declare.  The headers are preprocessed
# together; only lines the line markers place in OUR include/event2 count.
for h in "$inc"/*.h; do echo "#include <event2/${h##*/}>"; done > "$tmp/all.c"
if ! cc -E -D_GNU_SOURCE -I"$src/include" "$tmp/all.c" -o "$tmp/all.i" 2>"$tmp/cpp.err"; then
	echo "FAIL: our public headers do not preprocess together:"
	cat "$tmp/cpp.err"
	fail=1
fi
cat "$abi"/*.api | sort -u > "$tmp/allapi"
awk -v inc="$inc/" '
	NR == FNR { want[$1] = 1; next }
	/^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); next }
	index(f, inc) == 1 {
		n = split($0, t, /[^A-Za-z0-9_]+/)
		for (i = 1; i <= n; i++) if (t[i] in want) print t[i]
	}' "$tmp/allapi" "$tmp/all.i" 2>/dev/null | sort -u > "$tmp/declared"

# required MANIFEST...: manifest names whose header we have, or that our
# headers declare.
required() {
	cat "$@" | sort -u > "$tmp/m"
	{ awk 'NR == FNR { have[$1] = 1; next } ($2 in have) { print $1 }' \
		"$tmp/ours" "$tmp/map"; cat "$tmp/declared"; } |
		sort -u | comm -12 - "$tmp/m"
}

# check LIB MANIFEST...: one library against the union of its manifests.
check() {
	local lib=$1 name; shift
	name=$(basename "$lib" | sed -E 's/(\.so\.7).*/\1/')
	cat "$@" | sort -u > "$tmp/manifest"
	if ! nm -D --defined-only "$lib" > "$tmp/nm"; then
		echo "FAIL $name: nm cannot read it"; fail=1; return
	fi
	awk 'NF >= 3 { print $3 }' "$tmp/nm" | sort -u > "$tmp/exported"
	required "$@" > "$tmp/required"

	comm -23 "$tmp/exported" "$tmp/manifest" > "$tmp/extra"
	comm -23 "$tmp/required" "$tmp/exported" > "$tmp/missing"
	if [ -s "$tmp/extra" ]; then
		fail=1
		echo "FAIL $name exports $(wc -l < "$tmp/extra") name(s) not in its manifest:"
		sed 's/^/    /' "$tmp/extra"
	fi
	if [ -s "$tmp/missing" ]; then
		fail=1
		echo "FAIL $name lacks $(wc -l < "$tmp/missing") name(s) its present headers promise:"
		awk 'NR == FNR { h[$1] = $2; next } { print "    " $1 "  (" (h[$1] ? h[$1] : "?") ")" }' \
			"$tmp/map" "$tmp/missing"
	fi
	printf 'coverage %-28s %4d/%-4d manifest  %4d/%-4d required by present headers\n' \
		"$name" "$(comm -12 "$tmp/exported" "$tmp/manifest" | wc -l)" \
		"$(wc -l < "$tmp/manifest")" \
		"$(comm -12 "$tmp/exported" "$tmp/required" | wc -l)" \
		"$(wc -l < "$tmp/required")"
	# Per-header detail: exported/total of this library's manifest.
	comm -12 "$tmp/exported" "$tmp/manifest" > "$tmp/got"
	awk 'NR == FNR { m[$1] = 1; next } FILENAME == ARGV[2] { g[$1] = 1; next }
	     ($1 in m) { t[$2]++; if ($1 in g) e[$2]++ }
	     END { for (h in t) printf "    %-22s %4d/%d\n", h, e[h], t[h] }' \
		"$tmp/manifest" "$tmp/got" "$tmp/map" | sort
}

api=$abi
check "$1" "$api/libevent_core.api"
check "$2" "$api/libevent_extra.api"
check "$3" "$api/libevent_core.api" "$api/libevent_extra.api"
check "$4" "$api/libevent_pthreads.api"
if ! nm -D --defined-only "$4" | awk '{ print $3 }' | grep -qx evthread_use_pthreads; then
	echo "FAIL libevent_pthreads-2.1.so.7 does not export evthread_use_pthreads"
	fail=1
fi
[ $fail = 0 ] && echo "symbols: all libraries match their manifests"
exit $fail
