/*
 * The version byte at the start of every stored value (DESIGN principle 6).
 */
#include "db_private.h"
#include "log.h"

void db_record_init(struct buf *value, uint8_t version)
{
	if (version == 0)
		log_panic("db_record_init: version 0 is reserved");
	buf_clear(value);
	buf_append_char(value, (char)version);
}

int db_record_check(const struct db *db, const struct buf *value,
		    uint8_t max_version, uint8_t *version_r,
		    const char **error_r)
{
	uint8_t version;

	if (value->len == 0) {
		*error_r = db_errorf(0, "database %s in %s: empty record "
				     "without a version byte: the database "
				     "is damaged", db->name, db->env->home);
		return -1;
	}
	version = (uint8_t)value->data[0];
	if (version == 0) {
		*error_r = db_errorf(0, "database %s in %s: record version 0 "
				     "is never written: the database is "
				     "damaged", db->name, db->env->home);
		return -1;
	}
	if (version > max_version) {
		*error_r = db_errorf(0, "database %s in %s: record version %u "
				     "is newer than this program understands "
				     "(up to %u): it was written by a newer "
				     "sealpost; run that version or restore "
				     "a backup", db->name, db->env->home,
				     version, max_version);
		return -1;
	}
	*version_r = version;
	return 0;
}
