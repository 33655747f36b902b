/* lmtpd: delivery into the store over LMTP.  main() only. */
#include "lmtpd.h"

int main(int argc, char **argv)
{
	return lmtpd_run(argc, argv);
}
