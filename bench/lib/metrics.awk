# bench/lib/metrics.awk — server-side numbers of one wrk run, from two scrapes of Menhir's
# GET /metrics (Prometheus text format) taken just before and just after the run.
#
#   awk -v route=/api/v1/ping -v method=GET -f bench/lib/metrics.awk BEFORE AFTER
#
# Prints one line of tab-separated fields:
#   p50_ms  p99_ms  requests  sum_s  rt_sum  rt_count  in_flight
# where
#   p50_ms, p99_ms  quantiles of the route's latency histogram delta (AFTER − BEFORE), in ms,
#                   interpolated linearly inside the bucket like PromQL's histogram_quantile():
#                   the first bucket starts at 0, a rank in the +Inf bucket yields the highest
#                   finite bound; "-" when the route served nothing in between
#   requests        delta of the route's menhir_http_request_duration_seconds_count
#   sum_s           delta of its _sum (seconds spent in the worker, all requests together)
#   rt_sum, rt_count  deltas of menhir_db_round_trips_per_request_sum/_count (that histogram is
#                   global, not per route: it counts every request the server finished)
#   in_flight       menhir_http_requests_in_flight in AFTER (the scrape itself counts as 1)
# A counter that went backwards (the server restarted in between) prints "reset" in every
# field; a file that is not a Menhir scrape prints "invalid". Exit status is 0 either way:
# the caller decides what to do with it.
#
# POSIX awk only (runs under mawk, gawk and busybox awk): no Python on a fresh machine.

BEGIN {
	FS = " "
	if (route == "" || method == "")
		bad_usage = 1
	INF = "+Inf"
}

FNR == 1 { file++ }

# Parses the labels between { and } of a sample line into the array lab (cleared first).
function labels(s, lab,    k, m, name, val) {
	for (k in lab)
		delete lab[k]
	while (match(s, /[A-Za-z_][A-Za-z0-9_]*="[^"]*"/)) {
		m = substr(s, RSTART, RLENGTH)
		name = substr(m, 1, index(m, "=") - 1)
		val = substr(m, index(m, "=") + 2)
		lab[name] = substr(val, 1, length(val) - 1)
		s = substr(s, RSTART + RLENGTH)
	}
}

/^#/ || NF < 2 { next }

{
	line = $0
	value = $NF + 0
	brace = index(line, "{")
	if (brace > 0) {
		name = substr(line, 1, brace - 1)
		close_at = index(line, "}")
		labels(substr(line, brace + 1, close_at - brace - 1), L)
	} else {
		name = $1
		for (k in L)
			delete L[k]
	}
	if (name == "menhir_http_requests_in_flight") {
		seen[file] = 1
		if (file == 2)
			in_flight = value
		next
	}
	if (name == "menhir_db_round_trips_per_request_sum") { rt_sum[file] = value; next }
	if (name == "menhir_db_round_trips_per_request_count") { rt_count[file] = value; next }
	if (!(("route" in L) && L["route"] == route && L["method"] == method))
		next
	if (name == "menhir_http_request_duration_seconds_bucket") {
		le = L["le"]
		if (!(le in is_le)) {
			is_le[le] = 1
			bounds[++nb] = le
		}
		cum[file, le] = value
	} else if (name == "menhir_http_request_duration_seconds_count") {
		count[file] = value
	} else if (name == "menhir_http_request_duration_seconds_sum") {
		sum[file] = value
	}
}

# Numeric value of an le label; +Inf sorts last.
function le_num(le) {
	return le == INF ? 1e300 : le + 0
}

# histogram_quantile(q) over the delta buckets b_le[1..n] (sorted, the last is +Inf) with
# cumulative counts b_cum[1..n].
function quantile(q, n,    rank, i, lo, hi, c_lo) {
	if (n < 2 || b_le[n] != INF || b_cum[n] <= 0)
		return "-"
	rank = q * b_cum[n]
	for (i = 1; i < n && b_cum[i] < rank; i++)
		;
	if (i == n)
		return le_num(b_le[n - 1])
	hi = le_num(b_le[i])
	if (i == 1) {
		if (hi <= 0)
			return hi
		lo = 0
		c_lo = 0
	} else {
		lo = le_num(b_le[i - 1])
		c_lo = b_cum[i - 1]
	}
	if (b_cum[i] - c_lo <= 0)
		return hi
	return lo + (hi - lo) * ((rank - c_lo) / (b_cum[i] - c_lo))
}

function ms(v) {
	return v == "-" ? "-" : sprintf("%.3f", v * 1000)
}

END {
	if (bad_usage || file != 2 || !seen[1] || !seen[2]) {
		print "invalid\tinvalid\tinvalid\tinvalid\tinvalid\tinvalid\tinvalid"
		exit 0
	}
	# sort the bounds numerically (16 of them: insertion sort is fine)
	for (i = 2; i <= nb; i++)
		for (j = i; j > 1 && le_num(bounds[j - 1]) > le_num(bounds[j]); j--) {
			t = bounds[j]; bounds[j] = bounds[j - 1]; bounds[j - 1] = t
		}
	reset = 0
	for (i = 1; i <= nb; i++) {
		b_le[i] = bounds[i]
		b_cum[i] = cum[2, bounds[i]] - cum[1, bounds[i]]
		if (b_cum[i] < 0)
			reset = 1
		# cumulative counts must not decrease along le
		if (i > 1 && b_cum[i] < b_cum[i - 1])
			b_cum[i] = b_cum[i - 1]
	}
	d_count = count[2] - count[1]
	d_rt_sum = rt_sum[2] - rt_sum[1]
	d_rt_count = rt_count[2] - rt_count[1]
	if (reset || d_count < 0 || d_rt_sum < 0 || d_rt_count < 0) {
		print "reset\treset\treset\treset\treset\treset\treset"
		exit 0
	}
	printf "%s\t%s\t%.0f\t%.6f\t%.0f\t%.0f\t%.0f\n", ms(quantile(0.50, nb)), ms(quantile(0.99, nb)),
		d_count, sum[2] - sum[1], d_rt_sum, d_rt_count, in_flight
}
