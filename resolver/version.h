/* version.h -- the one place the release number is written (resolverd -v, the startup log
 * line and `resolverctl status`). */
#ifndef VERSION_H
#define VERSION_H

#define RESOLVERD_VERSION "0.1.0"

#endif
