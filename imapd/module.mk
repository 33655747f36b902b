PROGRAMS += imapd
imapd_SRCS := imapd/imapd_main.c $(filter-out imapd/imapd_main.c \
  imapd/imapd_settings.c,$(wildcard imapd/*.c))
