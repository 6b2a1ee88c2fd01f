/* trace.h - W3C Trace Context: the trace the current request or job belongs to. */
#ifndef MH_TRACE_H
#define MH_TRACE_H

/* "00-" 32 hex "-" 16 hex "-" 2 hex, and its NUL. */
#define MH_TRACEPARENT_SIZE 56

/*
 * A worker or a job runner does one thing at a time, so the trace it works for is
 * process state: set when a request or a job starts, cleared when it ends. Every log line
 * carries its trace_id (core/log.c), every transaction hands the outgoing traceparent to
 * PostgreSQL (app.traceparent, which jobs inserted in that transaction keep), and
 * a module's outbound HTTP calls send it as a header.
 */
struct mh_trace {
	char trace_id[33]; /* 32 lower-case hex, not all zero */
	char span_id[17];  /* this process's span: the parent of whatever it calls */
	char flags[3];     /* trace-flags as received (01 = sampled) */
};

/* 1 when s is a W3C traceparent Menhir accepts: version 00, lower-case hex, trace and
 * parent ids not all zero, nothing after the flags. Fills out (trace id and flags; the
 * parent id is not kept) when out is not NULL. */
int mh_trace_parse(const char *s, struct mh_trace *out);

/*
 * Starts the current trace: the one traceparent names when it is valid, else a new one
 * whose trace id is fallback_id when that is 32 hex digits (nginx's $request_id, so the
 * two ids of a request are one) or random. Either way the span id is new: this process's
 * own span. Returns the current trace.
 */
const struct mh_trace *mh_trace_begin(const char *traceparent, const char *fallback_id);

/* Ends the current trace: log lines outside a request or job carry none. */
void mh_trace_end(void);

/* The current trace id, or NULL outside a request or job. */
const char *mh_trace_id(void);

/* Writes the traceparent to send on outbound calls (the current trace, this process's
 * span as parent) into out, or "" outside a trace. Returns out. */
char *mh_trace_traceparent(char out[MH_TRACEPARENT_SIZE]);

#endif
