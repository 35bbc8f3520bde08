/* validate.h -- DNSSEC validation as a checking stage of the miss path (validate.c).
 *
 * The stage sees every answer forward or iterate found (resolve.h: `check`), proves it
 * from the closest trust anchor down (anchors.h, keycache.h, dnssec_verify.h, valmsg.h),
 * and hands it on secure (AD), insecure, or bogus (for CD clients only). Without trust
 * anchors (`dnssec no`, or no anchor file) it passes every answer on untouched. */
#ifndef VALIDATE_H
#define VALIDATE_H

#include "resolve.h"

extern const struct resolve_stage validate_stage;

#endif
