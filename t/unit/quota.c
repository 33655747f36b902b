/* The quota arithmetic: records, limits, the check, the warning level. */
#include "quota.h"
#include "db.h"
#include "tap.h"

#include <stdint.h>
#include <string.h>

static const struct quota_defaults no_defaults = { 0, 0, 0 };

static void test_kb(void)
{
	is_int(quota_kb(0), 0, "0 bytes: 0 KiB");
	is_int(quota_kb(1), 1, "1 byte: 1 KiB (rounded up)");
	is_int(quota_kb(1024), 1, "1024 bytes: 1 KiB");
	is_int(quota_kb(1025), 2, "1025 bytes: 2 KiB");
}

static void test_record(void)
{
	struct quota_record q, back;
	struct buf value = BUF_INIT;
	const char *error = NULL;

	memset(&q, 0, sizeof(q));
	q.bytes = 123456789012ULL;
	q.messages = 42;
	q.storage_set = QUOTA_LIMIT;
	q.storage_kb = 1000;
	q.messages_set = QUOTA_NONE;
	q.warned = true;
	quota_record_encode(&q, &value);
	is_int(value.len, 1 + QUOTA_RECORD_SIZE, "encoded size");
	is_int((unsigned char)value.data[0], QUOTA_RECORD_VERSION, "version byte");
	ok(quota_record_decode(db_record_data(&value), db_record_len(&value),
			       &back, &error) == 0, "decodes");
	ok(back.bytes == q.bytes && back.messages == 42 &&
	   back.storage_set == QUOTA_LIMIT && back.storage_kb == 1000 &&
	   back.messages_set == QUOTA_NONE && back.warned, "round trip");
	ok(quota_record_decode(db_record_data(&value), 10, &back, &error) < 0,
	   "short record refused");
	value.data[1 + 32] = 7;
	ok(quota_record_decode(db_record_data(&value), db_record_len(&value),
			       &back, &error) < 0, "bad setting refused");
	is_str(error, "damaged quota record", "with a reason");
	buf_free(&value);
}

static void test_limits(void)
{
	struct quota_defaults def = { 20 * 1024 + 500, 10, 90 };
	struct quota_record q;
	struct quota_limits lim;

	memset(&q, 0, sizeof(q));
	quota_limits_get(&q, &def, &lim);
	ok(lim.has_storage && lim.storage_kb == 20, "default storage in KiB, rounded down");
	ok(lim.has_messages && lim.messages == 10, "default messages");
	q.storage_set = QUOTA_NONE;
	q.messages_set = QUOTA_LIMIT;
	q.messages_limit = 3;
	quota_limits_get(&q, &def, &lim);
	ok(!lim.has_storage, "explicit none beats the default");
	ok(lim.has_messages && lim.messages == 3, "own limit beats the default");
	memset(&q, 0, sizeof(q));
	quota_limits_get(&q, &no_defaults, &lim);
	ok(!lim.has_storage && !lim.has_messages, "no defaults: no limits");
}

static void test_within(void)
{
	struct quota_limits lim = { true, true, 10, 5 };

	ok(quota_within(&lim, 10 * 1024, 5), "at the limits");
	ok(!quota_within(&lim, 10 * 1024 + 1, 5), "one byte over");
	ok(!quota_within(&lim, 0, 6), "one message over");
	lim.storage_kb = UINT64_MAX;
	ok(quota_within(&lim, UINT64_MAX, 0), "huge limit does not overflow");
	lim.has_storage = lim.has_messages = false;
	ok(quota_within(&lim, UINT64_MAX, UINT64_MAX), "no limits");
}

static void test_percent(void)
{
	struct quota_limits lim = { true, true, 100, 10 };

	is_int(quota_percent(&lim, 0, 0), 0, "empty");
	is_int(quota_percent(&lim, 50 * 1024, 2), 50, "storage decides");
	is_int(quota_percent(&lim, 0, 9), 90, "messages decide");
	is_int(quota_percent(&lim, 0, 10), 100, "full");
	lim.messages = 0;
	is_int(quota_percent(&lim, 0, 0), 0, "limit 0, empty: 0%");
	is_int(quota_percent(&lim, 0, 1), 100, "limit 0, one message: full");
	lim.has_messages = false;
	lim.storage_kb = UINT64_MAX / 2;
	ok(quota_percent(&lim, UINT64_MAX / 4, 0) <= 100, "no overflow near the top");
}

static void test_apply(void)
{
	struct quota_limits lim = { true, true, 10, 4 };
	struct quota_record q;
	bool warn;

	memset(&q, 0, sizeof(q));
	ok(quota_apply(&q, &lim, 50, 1024, 1, true, &warn) && !warn, "1 of 4");
	ok(quota_apply(&q, &lim, 50, 1024, 1, true, &warn) && warn, "2 of 4 reaches 50%: warn");
	ok(q.warned, "remembered");
	ok(quota_apply(&q, &lim, 50, 1024, 1, true, &warn) && !warn, "3 of 4: no second warning");
	ok(!quota_apply(&q, &lim, 50, 8 * 1024, 1, true, &warn), "storage over: refused");
	is_int(q.bytes, 3072, "refusal changes nothing");
	ok(quota_apply(&q, &lim, 50, 8 * 1024, 1, false, &warn), "not enforced: passes");
	is_int(q.messages, 4, "and counts");
	ok(quota_apply(&q, &lim, 50, -100000, -10, true, &warn) && !warn,
	   "shrinking always passes, and stops at 0");
	ok(q.bytes == 0 && q.messages == 0 && !q.warned, "zero, warning re-armed");
	ok(quota_apply(&q, &lim, 50, 0, 2, true, &warn) && warn, "crossing again warns again");
	lim.messages = 1;
	ok(quota_apply(&q, &lim, 50, 0, -1, true, &warn), "shrinking passes under a lowered limit");
	ok(quota_apply(&q, &lim, 0, 0, 0, true, &warn) && !q.warned, "warn_percent 0: never warned");
}

static void test_parse_setting(void)
{
	struct quota_record q;
	const char *error = NULL;

	memset(&q, 0, sizeof(q));
	ok(quota_parse_setting("storage=100", &q, &error) == 0 &&
	   q.storage_set == QUOTA_LIMIT && q.storage_kb == 100, "storage=100");
	ok(quota_parse_setting("messages=none", &q, &error) == 0 &&
	   q.messages_set == QUOTA_NONE, "messages=none");
	ok(quota_parse_setting("storage=default", &q, &error) == 0 &&
	   q.storage_set == QUOTA_DEFAULT, "storage=default");
	ok(quota_parse_setting("storage=-1", &q, &error) < 0, "negative refused");
	ok(quota_parse_setting("storage=1k", &q, &error) < 0, "suffix refused");
	ok(quota_parse_setting("storage=99999999999999999999", &q, &error) < 0,
	   "overflow refused");
	ok(quota_parse_setting("storage", &q, &error) < 0, "no value refused");
	ok(quota_parse_setting("disk=1", &q, &error) < 0, "unknown resource");
	is_str(error, "unknown resource (storage or messages)", "with a reason");
	ok(quota_parse_setting("storagex=1", &q, &error) < 0, "prefix of a name is not it");
}

int main(void)
{
	test_kb();
	test_record();
	test_limits();
	test_within();
	test_percent();
	test_apply();
	test_parse_setting();
	return tap_done();
}
