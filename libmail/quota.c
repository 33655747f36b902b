/* Quota arithmetic (see quota.h). */
#include "quota.h"
#include "db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint64_t quota_kb(uint64_t bytes)
{
	return bytes / 1024 + (bytes % 1024 != 0);
}

void quota_record_encode(const struct quota_record *q, struct buf *value)
{
	unsigned char tail[3];

	buf_clear(value);
	db_record_init(value, QUOTA_RECORD_VERSION);
	buf_append(value, &q->bytes, 8);
	buf_append(value, &q->messages, 8);
	buf_append(value, &q->storage_kb, 8);
	buf_append(value, &q->messages_limit, 8);
	tail[0] = (unsigned char)q->storage_set;
	tail[1] = (unsigned char)q->messages_set;
	tail[2] = q->warned ? 1 : 0;
	buf_append(value, tail, sizeof(tail));
}

int quota_record_decode(const unsigned char *data, size_t len,
			struct quota_record *q, const char **error_r)
{
	memset(q, 0, sizeof(*q));
	if (len != QUOTA_RECORD_SIZE || data[32] > QUOTA_NONE ||
	    data[33] > QUOTA_NONE || data[34] > 1) {
		*error_r = "damaged quota record";
		return -1;
	}
	memcpy(&q->bytes, data, 8);
	memcpy(&q->messages, data + 8, 8);
	memcpy(&q->storage_kb, data + 16, 8);
	memcpy(&q->messages_limit, data + 24, 8);
	q->storage_set = (enum quota_setting)data[32];
	q->messages_set = (enum quota_setting)data[33];
	q->warned = data[34] != 0;
	return 0;
}

void quota_limits_get(const struct quota_record *q,
		      const struct quota_defaults *def,
		      struct quota_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	if (q->storage_set == QUOTA_LIMIT) {
		lim->has_storage = true;
		lim->storage_kb = q->storage_kb;
	} else if (q->storage_set == QUOTA_DEFAULT && def->storage_bytes != 0) {
		/* A default given in bytes is shown in whole KiB, rounded
		 * down so the shown limit is never above the real one. */
		lim->has_storage = true;
		lim->storage_kb = def->storage_bytes / 1024;
	}
	if (q->messages_set == QUOTA_LIMIT) {
		lim->has_messages = true;
		lim->messages = q->messages_limit;
	} else if (q->messages_set == QUOTA_DEFAULT && def->messages != 0) {
		lim->has_messages = true;
		lim->messages = def->messages;
	}
}

bool quota_within(const struct quota_limits *lim, uint64_t bytes,
		  uint64_t messages)
{
	if (lim->has_storage && lim->storage_kb < UINT64_MAX / 1024 &&
	    bytes > lim->storage_kb * 1024)
		return false;
	if (lim->has_messages && messages > lim->messages)
		return false;
	return true;
}

static unsigned int quota_share(uint64_t used, uint64_t limit)
{
	if (limit == 0)
		return used > 0 ? 100 : 0;
	if (used >= limit)
		return 100 + (used > limit);
	/* used < limit, so used * 100 / limit < 100; divide first when
	 * the product could overflow. */
	if (used > UINT64_MAX / 100)
		return (unsigned int)(used / (limit / 100 + 1));
	return (unsigned int)(used * 100 / limit);
}

unsigned int quota_percent(const struct quota_limits *lim, uint64_t bytes,
			   uint64_t messages)
{
	unsigned int p = 0, s;

	if (lim->has_storage) {
		uint64_t cap = lim->storage_kb < UINT64_MAX / 1024 ?
			lim->storage_kb * 1024 : UINT64_MAX;

		if (lim->storage_kb == 0)
			p = bytes > 0 ? 100 : 0;
		else
			p = quota_share(bytes, cap);
	}
	if (lim->has_messages) {
		s = quota_share(messages, lim->messages);
		if (s > p)
			p = s;
	}
	return p;
}

static uint64_t quota_add(uint64_t v, int64_t d)
{
	if (d >= 0)
		return v + (uint64_t)d;
	return (uint64_t)-d > v ? 0 : v - (uint64_t)-d;
}

bool quota_apply(struct quota_record *q, const struct quota_limits *lim,
		 unsigned int warn_percent, int64_t bytes, int64_t messages,
		 bool enforce, bool *warn_r)
{
	uint64_t nb = quota_add(q->bytes, bytes);
	uint64_t nm = quota_add(q->messages, messages);
	bool grows = bytes > 0 || messages > 0;

	*warn_r = false;
	/* Only growth is refused: a change that shrinks usage, or keeps it,
	 * always passes, even when a lowered limit is already exceeded. */
	if (enforce && grows && !quota_within(lim, nb, nm))
		return false;
	q->bytes = nb;
	q->messages = nm;
	if (warn_percent == 0 || (!lim->has_storage && !lim->has_messages)) {
		q->warned = false;
	} else if (quota_percent(lim, nb, nm) >= warn_percent) {
		if (!q->warned && grows)
			*warn_r = true;
		q->warned = true;
	} else {
		q->warned = false;
	}
	return true;
}

int quota_parse_setting(const char *arg, struct quota_record *q,
			const char **error_r)
{
	const char *eq = strchr(arg, '=');
	enum quota_setting set;
	unsigned long long v = 0;
	char *end;

	if (eq == NULL) {
		*error_r = "expected storage=KIB or messages=N";
		return -1;
	}
	if (strcmp(eq + 1, "none") == 0) {
		set = QUOTA_NONE;
	} else if (strcmp(eq + 1, "default") == 0) {
		set = QUOTA_DEFAULT;
	} else {
		if (eq[1] < '0' || eq[1] > '9') {
			*error_r = "a limit is a number, none or default";
			return -1;
		}
		errno = 0;
		v = strtoull(eq + 1, &end, 10);
		if (errno != 0 || *end != '\0' || v > (1ULL << 53)) {
			*error_r = "a limit is a number up to 2^53, none or "
				"default";
			return -1;
		}
		set = QUOTA_LIMIT;
	}
	if ((size_t)(eq - arg) == 7 && strncmp(arg, "storage", 7) == 0) {
		q->storage_set = set;
		q->storage_kb = v;
	} else if ((size_t)(eq - arg) == 8 && strncmp(arg, "messages", 8) == 0) {
		q->messages_set = set;
		q->messages_limit = v;
	} else {
		*error_r = "unknown resource (storage or messages)";
		return -1;
	}
	return 0;
}
