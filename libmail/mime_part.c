#include "mime_part.h"
#include "buf.h"

#include <stdlib.h>

void mime_part_info_free(struct mime_part_info **infop)
{
	struct mime_part_info *info = *infop;

	if (info == NULL)
		return;
	mime_field_deinit(&info->content_type);
	mime_field_deinit(&info->disposition);
	free(info->encoding);
	free(info->id);
	free(info->description);
	free(info->md5);
	free(info->location);
	for (unsigned int i = 0; i < info->language_count; i++)
		free(info->languages[i]);
	free(info->languages);
	free(info->envelope);
	free(info);
	*infop = NULL;
}

void mime_part_free(struct mime_part **partp)
{
	struct mime_part *part = *partp, *child, *next;

	if (part == NULL)
		return;
	/* Depth is bounded by the parser's limit (and the cache reader's),
	 * so recursion is safe here. */
	for (child = part->children; child != NULL; child = next) {
		next = child->next;
		mime_part_free(&child);
	}
	mime_part_info_free(&part->info);
	free(part);
	*partp = NULL;
}

/* Part `k` (1-based) of the message or body part `m`: its k-th child when
 * multipart, else part 1 is `m` itself (RFC 3501 section 6.4.5). */
static const struct mime_part *nth_part(const struct mime_part *m,
					unsigned long k)
{
	const struct mime_part *child;

	if ((m->flags & MIME_PART_MULTIPART) == 0)
		return k == 1 ? m : NULL;
	for (child = m->children; child != NULL && k > 1; k--)
		child = child->next;
	return child;
}

const struct mime_part *mime_part_find_section(const struct mime_part *root,
					       const char *section)
{
	const struct mime_part *cur = root;
	bool first = true;

	if (*section == '\0')
		return root;
	while (cur != NULL) {
		unsigned long k = 0;

		if (*section < '1' || *section > '9')
			return NULL;
		while (*section >= '0' && *section <= '9') {
			if (k > 100000000)
				return NULL;
			k = k * 10 + (unsigned long)(*section++ - '0');
		}
		if (*section != '\0' && *section != '.')
			return NULL;
		if (first)
			cur = nth_part(cur, k);
		else if ((cur->flags & MIME_PART_MESSAGE) != 0)
			cur = nth_part(cur->children, k);
		else if ((cur->flags & MIME_PART_MULTIPART) != 0)
			cur = nth_part(cur, k);
		else
			cur = NULL;
		first = false;
		if (*section == '\0')
			return cur;
		section++;
	}
	return NULL;
}

unsigned int mime_part_count(const struct mime_part *root)
{
	unsigned int n = 0;

	for (const struct mime_part *p = root; p != NULL; p = p->next) {
		n++;
		if (p->children != NULL)
			n += mime_part_count(p->children);
	}
	return n;
}
