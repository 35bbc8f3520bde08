#!/usr/bin/env bash
# 87-threads-tsan.t -- 86-threads.t (worker threads under a mixed load with flushes and
# reloads) run against the ThreadSanitizer build, build/tsan/resolverd: any data race it
# reports lands in the daemon's log and fails "no sanitizer report". TSan makes the daemon
# several times slower, so the load runs a little longer with the same checks.
here=$(cd "$(dirname "$0")" && pwd)
export RESOLVERD="$here/../../build/tsan/resolverd"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
export LOAD_SECONDS=${LOAD_SECONDS:-5}
if [ ! -x "$RESOLVERD" ]; then
    echo "1..1"; echo "not ok 1 - $RESOLVERD is built (make build/tsan/resolverd)"; exit 1
fi
exec bash "$here/86-threads.t"
