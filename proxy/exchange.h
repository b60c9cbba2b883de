/* exchange: the life of one proxied request on its worker thread (PROXY.md
 * §4): receive, route, authenticate, take a slot, run upstream attempts,
 * commit and relay, complete. Every path (success, error, retry, client
 * close, shutdown) ends in one place that releases the slot, records
 * metrics, writes the access line and frees the request. */
#ifndef ZAI_PROXY_EXCHANGE_H
#define ZAI_PROXY_EXCHANGE_H

#include <curl/curl.h>
#include <event2/http.h>
#include "worker.h"

/* evhttp's generic callback; arg is the worker. */
void exchange_handle(struct evhttp_request *req, void *arg);
/* Starts the requests whose slot grants arrived in the worker's mailbox. */
void exchange_deliver_grants(worker *w);
/* curlev's done callback for every upstream attempt. */
void exchange_curl_done(CURL *easy, CURLcode result, void *priv);
/* Shutdown: requests still waiting for a slot get 503 shutting_down. */
void exchange_drain(worker *w);
/* Grace deadline: every remaining request is ended as interrupted. */
void exchange_deadline(worker *w);

#endif
