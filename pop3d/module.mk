PROGRAMS += pop3d
pop3d_SRCS := pop3d/pop3_main.c pop3d/pop3_server.c pop3d/pop3_session.c \
  pop3d/pop3_commands.c pop3d/pop3_auth.c pop3d/pop3_maildrop.c \
  pop3d/pop3_send.c pop3d/pop3_login_rate.c \
  pop3d/cmd_auth.c pop3d/cmd_capa.c pop3d/cmd_pass.c pop3d/cmd_quit.c \
  pop3d/cmd_retr.c pop3d/cmd_stls.c pop3d/cmd_top.c pop3d/cmd_user.c
