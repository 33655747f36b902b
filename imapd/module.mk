PROGRAMS += lmtpd
lmtpd_SRCS := imapd/lmtpd_main.c imapd/lmtpd.c imapd/lmtp_session.c \
  imapd/lmtp_deliver.c
