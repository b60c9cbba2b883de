/* httpd: the glue every evhttp server here needs (proxy, sim, dashboard):
 * listening sockets (SO_REUSEPORT so each I/O thread owns one), peer address
 * text, reason phrases, and small reply helpers. */
#ifndef ZAI_HTTPD_H
#define ZAI_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/http.h>

/* A non-blocking listening socket on host:port ("0.0.0.0", "::", "[::1]",
 * a name), with TCP_NODELAY for the connections it accepts. port 0 picks an
 * ephemeral port. Returns the fd or -1 with a
 * message in err. */
int httpd_listen(const char *host, int port, bool reuseport, char *err, size_t errlen);
/* An event_base for a server loop: epoll with the change list, so the many
 * enable/disable flips of a request's life cost one epoll_ctl per fd and
 * loop iteration instead of one each. NULL on failure. */
struct event_base *httpd_base_new(void);
/* For a server loop thread: blocks SIGTERM, SIGINT, SIGHUP and SIGPIPE so
 * only the main thread handles the process signals. */
void httpd_block_signals(void);
/* The local port a socket is bound to, or -1. */
int httpd_bound_port(int fd);
/* Peer IP text without port, IPv6 without brackets; "unknown" when absent. */
void httpd_peer_ip(struct evhttp_request *req, char *buf, size_t n);
bool httpd_peer_is_loopback(struct evhttp_request *req);
const char *httpd_reason(int status);
/* Replies with a complete body and Content-Type (copies body). */
void httpd_reply(struct evhttp_request *req, int status, const char *content_type,
                 const char *body, size_t len);
/* Writes what evhttp has queued on a connection now, instead of waiting a
 * loop iteration for writability, and runs evhttp's completion callback when
 * everything left. Saves an epoll_wait and two epoll_ctl per response. The
 * request may be complete (and freed by evhttp) on return. */
void httpd_flush(struct evhttp_connection *evcon);
/* Method of a request as an upper-case name ("GET"), or "OTHER". */
const char *httpd_method_name(struct evhttp_request *req);

#endif
