/* silent_server.h - a loopback TCP listener nobody accepts on or answers from, as a hung
 * server looks to a client: its connects complete (the kernel's backlog), nothing replies. */
#ifndef MH_T_SILENT_SERVER_H
#define MH_T_SILENT_SERVER_H

/* Listens on 127.0.0.1, a free port into *port; returns the socket (close it). */
int t_silent_server(int *port);

/* How many connections were made to it since the last call (accepted now, and closed). */
int t_silent_connections(int fd);

#endif
