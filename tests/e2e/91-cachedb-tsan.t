#!/usr/bin/env bash
# 91-cachedb-tsan.t -- 91-cachedb.t (three instances sharing a Redis; Redis stalled and
# killed under load) run against the ThreadSanitizer build, build/tsan/resolverd: each
# instance's worker threads and main thread have a Redis connection of their own, and the
# flush channel runs flushes on the main thread while the workers serve; a data race TSan
# reports lands in a daemon's log and fails "no sanitizer report".
here=$(cd "$(dirname "$0")" && pwd)
export RESOLVERD="$here/../../build/tsan/resolverd"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
if [ ! -x "$RESOLVERD" ]; then
    echo "1..1"; echo "not ok 1 - $RESOLVERD is built (make build/tsan/resolverd)"; exit 1
fi
exec bash "$here/91-cachedb.t"
