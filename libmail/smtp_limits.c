#include "smtp_limits.h"

const struct smtp_limits smtp_limits_default = {
	.command_line = 512,
	.mail_rcpt_line = 2048,
	.auth_line = 12288,
	.path = 256,
	.local_part = 64,
	.domain = 255,
	.params = 10,
	.message_size = 0,
};

size_t smtp_limits_line_max(const struct smtp_limits *limits)
{
	size_t max = limits->command_line;

	if (limits->mail_rcpt_line > max)
		max = limits->mail_rcpt_line;
	if (limits->auth_line > max)
		max = limits->auth_line;
	return max;
}
