#include "sendmail.h"

int main(int argc, char **argv)
{
	return sendmail_run(argc, argv);
}
