#!/usr/bin/env bash
# 85-signed-tsan.t -- 85-signed-resolverd.t (the validator over the signed simulated
# internet: every case, retries after bogus answers, the key cache, the referral DS proofs,
# aggressive NSEC) run against the ThreadSanitizer build, build/tsan/resolverd, with two
# worker threads: the validator's shared stores (key cache, DS proofs, NSEC ranges) are
# written by whichever thread validates, and any data race TSan sees lands in the daemon's
# log and fails "no sanitizer report".
here=$(cd "$(dirname "$0")" && pwd)
export RESOLVERD="$here/../../build/tsan/resolverd"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
if [ ! -x "$RESOLVERD" ]; then
    echo "1..1"; echo "not ok 1 - $RESOLVERD is built (make build/tsan/resolverd)"; exit 1
fi
exec bash "$here/85-signed-resolverd.t"
