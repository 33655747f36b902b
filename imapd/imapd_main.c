/* imapd: the IMAP server.  See imapd(8). */
#include "imapd/imapd.h"
#include "worker.h"

int main(int argc, char **argv)
{
	struct worker w;
	int status;

	worker_init(&w, "imapd", argc, argv);
	status = imapd_run(&w);
	worker_deinit(&w);
	return status;
}
