/* A byte stream of JSON values (QMP's input): bytes are appended as they
 * arrive, complete top-level values are taken out one at a time (jansson
 * parses; QMP needs no separator between values). After bad input the
 * stream drops bytes up to the next '{' or new line, so one bad line costs one error,
 * not the connection. The buffer never holds more than `max` bytes. */
#ifndef AVMM_MONITOR_JSON_STREAM_H
#define AVMM_MONITOR_JSON_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct json_stream {
	char *buf;
	size_t len, alloc, max;
	bool skipping; /* after an error: dropping up to the next '{' or line */
};

enum json_stream_result { JSON_STREAM_VALUE, JSON_STREAM_ERROR, JSON_STREAM_MORE };

void json_stream_init(struct json_stream *js, size_t max);
void json_stream_free(struct json_stream *js);
/* 0, -E2BIG if the unconsumed input would exceed max (nothing appended:
 * the caller gives up on the peer), -ENOMEM. */
int json_stream_feed(struct json_stream *js, const void *data, size_t n);
/* VALUE: *out is a new reference. ERROR: err says why (the bad bytes are
 * dropped). MORE: nothing complete yet. */
enum json_stream_result json_stream_next(struct json_stream *js, json_t **out, char *err, size_t errlen);

#endif
