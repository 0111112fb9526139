#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage script for vmtest.sh (1 stage, -e "$KHOFS_CACHE/thirdparty" staged by
# scripts/thirdparty.sh): the pjdfstest POSIX conformance suite on tmpfs (the
# oracle) and on khofs in the same VM. One TAP line per pjdfstest test case:
# ok when khofs has the same outcome as tmpfs (passed, failed or skipped),
# not ok with both outcomes and the error text otherwise. A case that does not
# pass on tmpfs either is reported as a SKIP with the reason.
command -v pjdfstest >/dev/null || { echo "pjdfstest not found: run scripts/thirdparty.sh"; exit 1; }

# pjdfstest switches to two unprivileged users; each must be in its own group.
mkdir -p /etc
cat >/etc/passwd <<EOT
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
tests:x:1000:1000:pjdfstest:/nonexistent:/bin/false
EOT
cat >/etc/group <<EOT
root:x:0:
nogroup:x:65534:
tests:x:1000:
EOT
printf 'passwd: files\ngroup: files\n' >/etc/nsswitch.conf

# Features both file systems are expected to have; naptime (between two
# timestamp samples) is well above the 4 ms tick of the guest's coarse clock.
# EXDEV cases need a second file system. EROFS cases remount the file system
# under test read-only and back (mount -o remount,ro|rw), which fails with
# EBUSY once earlier cases have left files open for writing (pjdfstest does not
# close every descriptor): they run in a second pjdfstest process of their own.
conf() { # allow_remount
	cat <<EOT
[features]
posix_fallocate = {}
utime_now = {}
utimensat = {}
rename_ctime = {}

[settings]
naptime = 0.05
allow_remount = $1

[dummy_auth]
entries = [["nobody", "nogroup"], ["tests", "tests"]]
EOT
}
conf false >/tmp/pjdfstest.toml
conf true >/tmp/pjdfstest-erofs.toml

mkdir -p /mnt/tmpfs /mnt/khofs /mnt/second
mount -t tmpfs tmpfs /mnt/tmpfs
mount -t khofs pjdfstest /mnt/khofs
mount -t tmpfs second /mnt/second
export NO_COLOR=1
for fs in tmpfs khofs; do
	t0=$(date +%s)
	pjdfstest -c /tmp/pjdfstest.toml -p /mnt/$fs -s /mnt/second >/tmp/$fs.out 2>&1
	rc=$?
	pjdfstest -c /tmp/pjdfstest-erofs.toml -p /mnt/$fs erofs >/tmp/$fs-erofs.out 2>&1
	rc2=$?
	echo "pjdfstest $fs: exit $rc, $(grep '^Summary' /tmp/$fs.out);" \
		"erofs cases: exit $rc2, $(grep '^Summary' /tmp/$fs-erofs.out); $(($(date +%s) - t0)) s"
done

# "NAME   outcome" lines, then tab-indented reasons or error text: one line
# per test "NAME<TAB>outcome<TAB>text" with the text's lines joined by " | ".
# A test in several outputs takes its last result (the EROFS run).
results() {
	awk '
		function flush() {
			if (name == "")
				return
			if (!(name in r))
				order[++n] = name
			r[name] = name "\t" res "\t" text
			name = ""
		}
		/^[A-Za-z0-9_]+(::[A-Za-z0-9_]+)+ +(ok|FAILED|skipped|failed as expected|PASSED UNEXPECTEDLY)$/ {
			flush()
			name = $1
			res = $0
			sub(/^[^ ]+ +/, "", res)
			text = ""
			next
		}
		FNR == 1 || /^Summary:/ { flush() }
		/^Summary:/ { next }
		name != "" && NF {
			l = $0
			gsub(/\t/, " ", l)
			sub(/^ +/, "", l)
			text = (text == "") ? l : text " | " l
		}
		END {
			flush()
			for (i = 1; i <= n; i++)
				print r[order[i]]
		}' "$@"
}
# The outcome of test case $2 run again alone on file system $1. Some cases race with the
# guest's scheduler under TCG (truncate::etxtbsy truncates a binary that a child executes,
# and can get in before the exec): a case whose outcomes differ is run again on both.
rerun() { # fs name
	case $2 in *erofs*) c=/tmp/pjdfstest-erofs.toml ;; *) c=/tmp/pjdfstest.toml ;; esac
	pjdfstest -c "$c" -p "/mnt/$1" -s /mnt/second "$2" </dev/null >/tmp/rerun.out 2>&1
	results /tmp/rerun.out | awk -F '\t' -v n="$2" '$1 == n { print $2; exit }'
}
results /tmp/tmpfs.out /tmp/tmpfs-erofs.out >/tmp/tmpfs.res
results /tmp/khofs.out /tmp/khofs-erofs.out >/tmp/khofs.res

n=0
while IFS="$(printf '\t')" read -r name want wtext; do
	n=$((n + 1))
	line=$(awk -F '\t' -v n="$name" '$1 == n { print; exit }' /tmp/khofs.res)
	got=$(echo "$line" | cut -f2)
	gtext=$(echo "$line" | cut -f3-)
	if [ -z "$line" ]; then
		echo "not ok $n pjdfstest $name: tmpfs '$want', khofs did not run it"
	elif [ "$got" = "$want" ] && [ "$want" = ok ]; then
		echo "ok $n pjdfstest $name: same as tmpfs ($want)"
	elif [ "$got" = "$want" ]; then
		# Not run or failing on tmpfs too (e.g. sockets without CONFIG_NET).
		echo "ok $n pjdfstest $name: same as tmpfs ($want) # SKIP $want on tmpfs too: $(echo "$wtext" | cut -c1-200)"
	elif again_t=$(rerun tmpfs "$name") && again_k=$(rerun khofs "$name") &&
		[ -n "$again_t" ] && [ "$again_t" = "$again_k" ]; then
		skip=""
		[ "$again_t" = ok ] || skip=" # SKIP $again_t on tmpfs too"
		echo "ok $n pjdfstest $name: same as tmpfs ($again_t) when run again" \
			"(first: tmpfs '$want', khofs '$got')$skip"
	else
		echo "not ok $n pjdfstest $name: tmpfs '$want', khofs '$got': $(echo "$gtext" | cut -c1-300)"
		[ -z "$wtext" ] || echo "# tmpfs: $(echo "$wtext" | cut -c1-300)"
	fi
done </tmp/tmpfs.res
cut -f1 /tmp/tmpfs.res >/tmp/tmpfs.names
cut -f1 /tmp/khofs.res | while read -r name; do
	grep -qxF "$name" /tmp/tmpfs.names && continue
	n=$((n + 1))
	echo "not ok $n pjdfstest $name: ran on khofs only"
done
[ -s /tmp/tmpfs.res ] || { echo "not ok 1 pjdfstest: no result on tmpfs"; cat /tmp/tmpfs.out; }
exit 0
