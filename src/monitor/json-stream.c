/* JSON value stream for QMP input (json-stream.h). */
#include "monitor/json-stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_stream_init(struct json_stream *js, size_t max)
{
	memset(js, 0, sizeof(*js));
	js->max = max;
}

void json_stream_free(struct json_stream *js)
{
	free(js->buf);
	memset(js, 0, sizeof(*js));
}

static void drop(struct json_stream *js, size_t n)
{
	if (n > js->len)
		n = js->len;
	memmove(js->buf, js->buf + n, js->len - n);
	js->len -= n;
}

int json_stream_feed(struct json_stream *js, const void *data, size_t n)
{
	if (n > js->max || js->len > js->max - n)
		return -E2BIG;
	if (js->len + n > js->alloc) {
		size_t a = js->alloc ? js->alloc : 4096;
		while (a < js->len + n)
			a *= 2;
		if (a > js->max)
			a = js->max;
		char *b = realloc(js->buf, a);
		if (!b)
			return -ENOMEM;
		js->buf = b;
		js->alloc = a;
	}
	memcpy(js->buf + js->len, data, n);
	js->len += n;
	return 0;
}

enum json_stream_result json_stream_next(struct json_stream *js, json_t **out, char *err, size_t errlen)
{
	*out = NULL;
	size_t i = 0;
	/* Whitespace between values, and after an error everything up to the
	 * next object: gone (so neither accumulates). */
	for (; i < js->len; i++) {
		char ch = js->buf[i];
		if (js->skipping) {
			if (ch == '{')
				break;
			if (ch == '\n')
				js->skipping = false; /* a new line, a new message */
		} else if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
			break;
		}
	}
	drop(js, i);
	if (!js->len)
		return JSON_STREAM_MORE;
	js->skipping = false;
	json_error_t e;
	/* jansson takes a NUL byte for the end of the input (it would wait
	 * forever): parse up to it, and a value cut short by it is an error. */
	const char *nul = memchr(js->buf, 0, js->len);
	size_t span = nul ? (size_t)(nul - js->buf) : js->len;
	json_t *v = json_loadb(js->buf, span, JSON_DISABLE_EOF_CHECK, &e);
	if (v) {
		/* position: the bytes read, the value's last byte included. */
		size_t used = e.position > 0 && (size_t)e.position <= span ? (size_t)e.position : span;
		drop(js, used);
		*out = v;
		return JSON_STREAM_VALUE;
	}
	if (json_error_code(&e) == json_error_premature_end_of_input && !nul)
		return JSON_STREAM_MORE;
	if (nul && (json_error_code(&e) == json_error_premature_end_of_input || (size_t)e.position >= span)) {
		snprintf(err, errlen, "JSON parse error, a NUL byte in the input");
		drop(js, span + 1);
		js->skipping = true;
		return JSON_STREAM_ERROR;
	}
	snprintf(err, errlen, "JSON parse error, %s", e.text);
	/* The text may quote the bad bytes: keep it printable ASCII (it goes
	 * back as a JSON string, which must be UTF-8). */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	/* Past the offending byte (at least one), then resynchronise. */
	size_t bad = e.position > 0 && (size_t)e.position <= span ? (size_t)e.position : 1;
	drop(js, bad);
	js->skipping = true;
	return JSON_STREAM_ERROR;
}
