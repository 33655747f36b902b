PROGRAMS += lmtpd
lmtpd_SRCS := imapd/lmtpd_main.c imapd/lmtpd.c imapd/lmtp_session.c \
  imapd/lmtp_deliver.c

PROGRAMS += imapd
imapd_SRCS := imapd/imapd_main.c $(filter-out imapd/imapd_main.c \
  imapd/lmtp% imapd/%_settings.c,$(wildcard imapd/*.c))
