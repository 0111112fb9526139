#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Largest stack frames of the khofs objects (the driver and the Rust kernel
# crate): fails if a function's frame is larger than FRAME_LIMIT bytes
# (default 1536; the kernel stack is 16 KiB and nothing may recurse over data).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$REPO/scripts/kernel.sh" env)"
limit=${FRAME_LIMIT:-1536}
rc=0
for o in fs/khofs/khofs.o rust/kernel.o; do
	[ -f "$OUT/$o" ] || { echo "frames: $OUT/$o not built"; exit 1; }
	llvm-objdump-19 -d --no-show-raw-insn "$OUT/$o" | python3 -c '
import re, sys
limit, name = int(sys.argv[1]), sys.argv[2]
fn, frames = None, {}
for line in sys.stdin:
    m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if m:
        fn = m.group(1)
        continue
    m = re.search(r"sub[q]?\s+\$0x([0-9a-f]+),\s*%rsp", line)
    if m and fn:
        frames[fn] = max(frames.get(fn, 0), int(m.group(1), 16))
top = sorted(frames.items(), key=lambda x: -x[1])
big = [(f, v) for f, v in top if v > limit]
print("%s: largest frame %d bytes (%s)" % (name, top[0][1], top[0][0][:100]))
for f, v in big:
    print("  %d bytes > %d: %s" % (v, limit, f))
sys.exit(1 if big else 0)
' "$limit" "$o" || rc=1
done
exit $rc
