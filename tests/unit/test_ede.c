/* test_ede.c -- unit tests for resolver/ede.c: the names of the Extended DNS Error codes,
 * as dig prints them, and "Unknown" outside the table. */
#include "tap.h"
#include "ede.h"

int main(void)
{
    is_str(ede_name(EDE_OTHER), "Other Error", "ede_name: 0");
    is_str(ede_name(EDE_STALE_ANSWER), "Stale Answer", "ede_name: 3");
    is_str(ede_name(EDE_CACHED_ERROR), "Cached Error", "ede_name: 13");
    is_str(ede_name(EDE_PROHIBITED), "Prohibited", "ede_name: 18");
    is_str(ede_name(EDE_NOT_SUPPORTED), "Not Supported", "ede_name: 21");
    is_str(ede_name(EDE_NO_REACHABLE_AUTHORITY), "No Reachable Authority", "ede_name: 22");
    is_str(ede_name(EDE_NETWORK_ERROR), "Network Error", "ede_name: 23");
    is_str(ede_name(EDE_INVALID_DATA), "Invalid Data", "ede_name: 24 (last)");
    is_str(ede_name(25), "Unknown", "ede_name: past the table");
    is_str(ede_name(EDE_NONE), "Unknown", "ede_name: EDE_NONE");
    is_str(ede_name(65535), "Unknown", "ede_name: 65535");
    for (int c = 0; c <= EDE_INVALID_DATA; c++)
        if (!ok(ede_name(c)[0] != '\0' && strcmp(ede_name(c), "Unknown") != 0,
                "ede_name: %d has a name", c))
            break;
    return done_testing();
}
