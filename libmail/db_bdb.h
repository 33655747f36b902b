#ifndef SEALPOST_DB_BDB_H
#define SEALPOST_DB_BDB_H

/*
 * The Berkeley DB header, for db.c only.  It is also called db.h, and
 * libmail/ comes first on the include path, so a plain #include <db.h> finds
 * our own wrapper.  This file lives in libmail/ too and must be included as
 * <db_bdb.h>: #include_next then continues the search after libmail/ and
 * reaches the system's header.  Nothing else in the project should see
 * Berkeley DB; the wrapper's interface is all byte strings.
 */

#include_next <db.h>

#if !defined(DB_VERSION_MAJOR) || DB_VERSION_MAJOR != 5 || DB_VERSION_MINOR < 3
#error "db.c needs the Berkeley DB 5.3 header (Debian: libdb5.3-dev)"
#endif

#endif
