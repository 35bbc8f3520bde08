#!/usr/bin/env bash
# 52-forward-health-tsan.t -- 51-forward-health.t run against the ThreadSanitizer build,
# build/tsan/resolverd: workers report forwarders down to the prober on the main thread
# (a mutex and an ev_async) while probes, reloads and stats reads run there; any data race
# TSan reports lands in the daemon's log and fails "no sanitizer report".
here=$(cd "$(dirname "$0")" && pwd)
export RESOLVERD="$here/../../build/tsan/resolverd"
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
if [ ! -x "$RESOLVERD" ]; then
    echo "1..1"; echo "not ok 1 - $RESOLVERD is built (make build/tsan/resolverd)"; exit 1
fi
exec bash "$here/51-forward-health.t"
