#include "imap_envelope.h"
#include "buf.h"
#include "imap_string.h"
#include "message_address.h"
#include "message_header.h"

static void write_nstring_field(const struct message_header *hdr,
				const char *name, struct buf *out)
{
	struct buf value = BUF_INIT;

	if (message_header_get(hdr, name, &value))
		imap_string_append(out, value.data != NULL ? value.data : "",
				   value.len);
	else
		buf_append_str(out, "NIL");
	buf_free(&value);
}

static struct message_address *
parse_addresses(const struct message_header *hdr, const char *name)
{
	struct buf value = BUF_INIT;
	struct message_address *list = NULL;

	if (message_header_get(hdr, name, &value))
		list = message_address_parse(buf_cstr(&value), value.len);
	buf_free(&value);
	return list;
}

void imap_envelope_write_addresses(const struct message_address *list,
				   struct buf *out)
{
	if (list == NULL) {
		buf_append_str(out, "NIL");
		return;
	}
	buf_append_char(out, '(');
	for (; list != NULL; list = list->next) {
		buf_append_char(out, '(');
		imap_nstring_append(out, list->name);
		buf_append_char(out, ' ');
		imap_nstring_append(out, list->route);
		buf_append_char(out, ' ');
		imap_nstring_append(out, list->mailbox);
		buf_append_char(out, ' ');
		imap_nstring_append(out, list->domain);
		buf_append_char(out, ')');
	}
	buf_append_char(out, ')');
}

static void write_address_field(const struct message_header *hdr,
				const char *name,
				const struct message_address *fallback,
				struct buf *out)
{
	struct message_address *list = parse_addresses(hdr, name);

	buf_append_char(out, ' ');
	imap_envelope_write_addresses(list != NULL ? list : fallback, out);
	message_address_free(&list);
}

void imap_envelope_write(const struct message_header *hdr, struct buf *out)
{
	struct message_address *from = parse_addresses(hdr, "From");

	buf_append_char(out, '(');
	write_nstring_field(hdr, "Date", out);
	buf_append_char(out, ' ');
	write_nstring_field(hdr, "Subject", out);
	buf_append_char(out, ' ');
	imap_envelope_write_addresses(from, out);
	write_address_field(hdr, "Sender", from, out);
	write_address_field(hdr, "Reply-To", from, out);
	write_address_field(hdr, "To", NULL, out);
	write_address_field(hdr, "Cc", NULL, out);
	write_address_field(hdr, "Bcc", NULL, out);
	buf_append_char(out, ' ');
	write_nstring_field(hdr, "In-Reply-To", out);
	buf_append_char(out, ' ');
	write_nstring_field(hdr, "Message-ID", out);
	buf_append_char(out, ')');
	message_address_free(&from);
}
