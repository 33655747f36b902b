PROGRAMS += qmgr
qmgr_SRCS := queue/qmgr_main.c queue/qmgr.c queue/qmgr_deliver.c \
  queue/qmgr_lmtp.c queue/qmgr_bounce.c queue/qmgr_control.c \
  queue/queue_list.c queue/qmgr_relay.c queue/qmgr_smtp.c \
  queue/qmgr_dkim.c
qmgr_SRCS += queue/qmgr_admin.c queue/qmgr_stats.c queue/qmgr_park.c \
  queue/qmgr_msgs.c

# The queue commands of `sealpost` live with the queue.
sealpost_SRCS += queue/cli_queue.c queue/cli_trace.c queue/cli_stats.c \
  queue/cli_log.c
