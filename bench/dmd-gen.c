/*
 * dmd-gen - deterministic sample metrics for the demo and benchmarks.
 *
 * HOSTS hosts x 10 metrics every INTERVAL seconds for DURATION seconds,
 * in time-major order (all series at t, then all at t + INTERVAL), as
 * NDJSON points: cpu user/system/idle/iowait/steal and load1 as random
 * walks with two decimals, an integer gauge, a constant and two
 * monotonically increasing counters.  The default is the reference
 * dataset: 200 hosts x 10 metrics x 1 day at 60 s = 2,880,000 points.
 */
#include <err.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numarg.h"

#define NMETRICS 10

static const char *const metric[NMETRICS] = {
	"cpu.user", "cpu.system", "cpu.idle", "cpu.iowait", "cpu.steal",
	"loadavg.load1", "procs.running", "memory.total", "net.rx_bytes",
	"net.tx_bytes"
};

static uint64_t rng;

static uint64_t
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static void __attribute__((noreturn))
usage(void)
{
	fputs("usage: dmd-gen [-H hosts] [-i interval] [-d duration] "
	    "[-s start] [-S seed]\n", stderr);
	exit(2);
}

int
main(int argc, char *argv[])
{
	int64_t hosts = 200, interval = 60, duration = 86400, start = -1;
	int64_t seed = 1, t, h, m, *state;
	const char *errstr;
	char line[160];
	int ch, n;

	while ((ch = getopt(argc, argv, "H:i:d:s:S:")) != -1) {
		switch (ch) {
		case 'H':
			hosts = dmd_strtonum(optarg, 1, 1000000, &errstr);
			break;
		case 'i':
			interval = dmd_strtonum(optarg, 1, 86400, &errstr);
			break;
		case 'd':
			duration = dmd_strtonum(optarg, 1, 3660 * 86400LL,
			    &errstr);
			break;
		case 's':
			start = dmd_strtonum(optarg, 0, 253402300799LL,
			    &errstr);
			break;
		case 'S':
			seed = dmd_strtonum(optarg, 1, INT64_MAX, &errstr);
			break;
		default:
			usage();
		}
		if (errstr != NULL)
			errx(2, "-%c %s: %s", ch, optarg, errstr);
	}
	if (start < 0)
		start = 1732406400 - 1732406400 % 86400;	/* 2024-11-24 */
	rng = 0x9e3779b97f4a7c15ULL + (uint64_t)seed * 0xbf58476d1ce4e5b9ULL;
	if (rng == 0)
		rng = 1;
	state = calloc(hosts * NMETRICS, sizeof(*state));
	if (state == NULL)
		err(1, "calloc");
	for (h = 0; h < hosts; h++)
		for (m = 0; m < NMETRICS; m++)
			state[h * NMETRICS + m] = m < 6 ?
			    (int64_t)(next() % 5000) : (int64_t)(next() % 1000);
	for (t = start; t < start + duration; t += interval) {
		for (h = 0; h < hosts; h++) {
			for (m = 0; m < NMETRICS; m++) {
				int64_t *v = &state[h * NMETRICS + m];

				switch (m) {
				case 6:		/* integer gauge */
					*v = 50 + (int64_t)(next() % 200);
					break;
				case 7:		/* constant */
					*v = 16777216;
					break;
				case 8: case 9:	/* counters */
					*v += (int64_t)(next() % 100000);
					break;
				default:	/* two-decimal random walk */
					*v += (int64_t)(next() % 201) - 100;
					if (*v < 0)
						*v = -*v;
					if (*v > 10000)
						*v = 20000 - *v;
					break;
				}
				if (m < 6)
					n = snprintf(line, sizeof(line),
					    "{\"name\":\"host%04lld.%s\",\"time\":"
					    "%lld,\"value\":%lld.%02lld}\n",
					    (long long)h, metric[m],
					    (long long)t, (long long)(*v / 100),
					    (long long)(*v % 100));
				else
					n = snprintf(line, sizeof(line),
					    "{\"name\":\"host%04lld.%s\",\"time\":"
					    "%lld,\"value\":%lld}\n", (long long)h,
					    metric[m], (long long)t,
					    (long long)*v);
				fwrite(line, 1, n, stdout);
			}
		}
	}
	free(state);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return 0;
}
