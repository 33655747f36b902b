#include "sendmail.h"

int main(int argc, char **argv)
{
	return sendmail_mailq(argc, argv);
}
