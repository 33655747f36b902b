#include "mbox_log.h"
#include "crc32.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MBOX_LOG_READ_CHUNK 65536

static char log_error[512];

void mbox_log_add(struct buf *out, enum mbox_log_type type, uint64_t modseq,
		  const void *payload, size_t payload_size)
{
	static const char zeros[8];
	struct mbox_log_record rec;
	size_t start = out->len, size;
	uint32_t crc;

	size = (sizeof(rec) + payload_size + sizeof(crc) + 7) & ~(size_t)7;
	memset(&rec, 0, sizeof(rec));
	rec.size = (uint32_t)size;
	rec.type = (uint16_t)type;
	rec.payload_size = (uint16_t)payload_size;
	rec.modseq = modseq;
	buf_append(out, &rec, sizeof(rec));
	buf_append(out, payload, payload_size);
	buf_append(out, zeros, size - sizeof(rec) - payload_size - sizeof(crc));
	crc = crc32c(0, out->data + start, out->len - start);
	buf_append(out, &crc, sizeof(crc));
}

struct log_batch {
	struct buf records;	/* the records of the batch so far */
};

static int log_apply_batch(const struct buf *batch, mbox_log_apply_fn *fn,
			   void *ctx)
{
	size_t pos = 0;

	while (pos < batch->len) {
		const struct mbox_log_record *rec =
			(const void *)(batch->data + pos);

		if (fn(ctx, rec, rec + 1, rec->payload_size) < 0)
			return -1;
		pos += rec->size;
	}
	return 0;
}

int mbox_log_scan(int fd, uint64_t offset, mbox_log_apply_fn *fn, void *ctx,
		  uint64_t *end_r, bool *torn_r, const char **error_r)
{
	struct buf data = BUF_INIT, batch = BUF_INIT;
	uint64_t read_offset = offset, committed = offset;
	size_t pos = 0;
	bool eof = false;
	int ret = 0;

	*torn_r = false;
	for (;;) {
		struct mbox_log_record rec;
		uint32_t crc, want;

		/* Make sure a whole record header, then a whole record, is
		 * in `data`, reading more as needed. */
		while (!eof && data.len - pos < MBOX_LOG_MAX_RECORD) {
			ssize_t n;

			buf_consume(&data, pos);
			pos = 0;
			buf_reserve(&data, MBOX_LOG_READ_CHUNK);
			n = pread(fd, data.data + data.len, MBOX_LOG_READ_CHUNK,
				  (off_t)read_offset);
			if (n < 0) {
				snprintf(log_error, sizeof(log_error),
					 "reading the log: %s", strerror(errno));
				*error_r = log_error;
				ret = -1;
				goto out;
			}
			if (n == 0)
				eof = true;
			data.len += (size_t)n;
			read_offset += (uint64_t)n;
		}
		if (data.len - pos < sizeof(rec))
			break;
		memcpy(&rec, data.data + pos, sizeof(rec));
		if (rec.size < sizeof(rec) + sizeof(crc) ||
		    rec.size % 8 != 0 ||
		    rec.payload_size > rec.size - sizeof(rec) - sizeof(crc) ||
		    rec.size > MBOX_LOG_MAX_RECORD ||
		    rec.size > data.len - pos)
			break;
		memcpy(&want, data.data + pos + rec.size - sizeof(crc),
		       sizeof(crc));
		crc = crc32c(0, data.data + pos, rec.size - sizeof(crc));
		if (crc != want)
			break;
		if (rec.type == MBOX_LOG_COMMIT) {
			if (log_apply_batch(&batch, fn, ctx) < 0) {
				*error_r = "applying the log failed";
				ret = -1;
				goto out;
			}
			buf_clear(&batch);
			committed = read_offset - (data.len - pos) + rec.size;
		} else {
			buf_append(&batch, data.data + pos, rec.size);
		}
		pos += rec.size;
	}
	{
		struct stat st;

		*torn_r = fstat(fd, &st) == 0 && (uint64_t)st.st_size > committed;
	}
out:
	*end_r = committed;
	buf_free(&data);
	buf_free(&batch);
	return ret;
}

int mbox_log_create(const char *path, uint32_t uidvalidity, uint64_t log_seq,
		    const char **error_r)
{
	struct mbox_log_header hdr;
	int fd;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, MBOX_LOG_MAGIC, sizeof(MBOX_LOG_MAGIC));
	hdr.version = MBOX_LOG_VERSION;
	hdr.uidvalidity = uidvalidity;
	hdr.log_seq = log_seq;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, &hdr, sizeof(hdr)) != sizeof(hdr) ||
	    fdatasync(fd) < 0) {
		snprintf(log_error, sizeof(log_error), "%s: %s", path,
			 strerror(errno));
		*error_r = log_error;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int mbox_log_check_header(int fd, const char **error_r)
{
	struct mbox_log_header hdr;

	if (pread(fd, &hdr, sizeof(hdr), 0) != sizeof(hdr) ||
	    memcmp(hdr.magic, MBOX_LOG_MAGIC, sizeof(MBOX_LOG_MAGIC)) != 0) {
		*error_r = "not a sealpost mailbox log";
		return -1;
	}
	if (hdr.version != MBOX_LOG_VERSION) {
		snprintf(log_error, sizeof(log_error),
			 "mailbox log version %u is newer than this program "
			 "knows (%d)", hdr.version, MBOX_LOG_VERSION);
		*error_r = log_error;
		return -1;
	}
	return 0;
}
