/* curlev: a libcurl multi handle driven by a libevent base (the "hiperfifo"
 * pattern): curl's sockets become events on the base, curl's timer becomes
 * an evtimer, and finished transfers are reported through one callback.
 * One curlev per event loop thread; it never blocks.
 *
 * Ownership: the caller owns each easy handle. curlev_add() starts it;
 * either the done callback runs exactly once (the handle is already removed
 * from the multi when it runs) or the caller removes it with curlev_remove()
 * first, after which no callback fires. Neither may be called from inside a
 * libcurl callback of the same transfer. curlev_add drives the transfer at
 * once, so the done callback may already have run when it returns 0: the
 * caller must not touch per-transfer state after a successful add. */
#ifndef ZAI_CURLEV_H
#define ZAI_CURLEV_H

#include <curl/curl.h>
#include <event2/event.h>

typedef struct curlev curlev;
typedef void (*curlev_done_fn)(CURL *easy, CURLcode result, void *easy_private);

curlev *curlev_new(struct event_base *base, curlev_done_fn done);
void curlev_free(curlev *c);
CURLM *curlev_multi(curlev *c);
int curlev_add(curlev *c, CURL *easy);
void curlev_remove(curlev *c, CURL *easy);
/* Transfers currently added. */
int curlev_active(const curlev *c);

#endif
