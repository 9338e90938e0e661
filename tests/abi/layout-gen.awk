# layout-gen.awk: turn LAYOUT-x86_64.txt into check macros for layout.c.
#
# Input lines:   struct NAME: sizeof N, alignof M
#                  FIELD[.SUB...]   offset O size S
# Output: per struct, a block guarded by HAVE_<NAME> (defined by layout.c
# from which of our headers exist).  A struct layout.c does not know about
# is a compile error, so a new entry in the facts file cannot be skipped
# silently.
function close_struct() {
	if (cur != "")
		printf "#else\nLAYOUT_SKIP(%s)\n#endif\n", cur
	cur = ""
}
/^struct / {
	close_struct()
	name = $2; sub(/:$/, "", name)
	size = $4; sub(/,$/, "", size)
	align = $6
	cur = name
	printf "#if !defined(HAVE_%s)\n", name
	printf "#error \"layout.c has no header mapping for struct %s\"\n", name
	printf "#elif HAVE_%s\n", name
	printf "LAYOUT_STRUCT(%s, %s, %s)\n", name, size, align
	next
}
/^[ \t]+[A-Za-z_]/ && $2 == "offset" && $4 == "size" {
	if (cur == "") { print "#error \"field before any struct\""; next }
	printf "LAYOUT_FIELD(%s, %s, %s, %s)\n", cur, $1, $3, $5
	next
}
/[^ \t]/ { printf "#error \"unparsed layout line: %s\"\n", $0 }
END { close_struct() }
