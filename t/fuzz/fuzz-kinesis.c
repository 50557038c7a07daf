/*
 * fuzz-kinesis.c - libFuzzer target for the parsing of Kinesis's JSON
 * answers in common/stream_kinesis.c: ListShards pages, CreateStream and
 * DescribeStreamSummary, PutRecords results, GetShardIterator and
 * GetRecords (base64 data, sequence numbers, iterators), error bodies.
 *
 * The first byte picks what follows the opening of the stream (which
 * lists its shards, and first creates it for 0): nothing, a read from
 * the start, from a time, after a sequence number, or an append; the
 * rest is the list of HTTP responses the stream gets, as awsstub.h reads
 * them.  Whatever they say, it must not crash, leak or loop, a record
 * read must carry its next position, and a failure must say why.  Built
 * and run by t/fuzz/run; it uses stream_kinesis.c's own interface only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "awsstub.h"
#include "stream.h"
#include "stream_kinesis.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
on_record(void *arg, const struct dmd_record *r)
{
	size_t *n = arg;

	if (r->next == NULL || strlen(r->next) >= DMD_STREAM_POS_MAX ||
	    (r->len > 0 && r->data == NULL))
		abort();
	if (r->len > 0)
		(void)((volatile const unsigned char *)r->data)[r->len - 1];
	return ++*n >= 1000;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char r1[] = "a.b 1 1800000000\n";
	static const unsigned char r2[] = "a.c 2 1800000000\n";
	static const char seqno[] =
	    "49590338271490256608559692538361571095921575989136588898";
	const unsigned char *recs[2] = { r1, r2 };
	const size_t lens[2] = { sizeof(r1) - 1, sizeof(r2) - 1 };
	struct dmd_stream *s;
	struct dmd_url u;
	char err[256];
	size_t n = 0;
	int why = 0, rv = 0, op;

	if (size < 1)
		return 0;
	op = data[0] % 5;
	if (dmd_url_parse("kinesis://fuzz_stream", &u, err, sizeof(err)) != 0)
		abort();
	stub_start(data + 1, size - 1);
	s = dmd_stream_kinesis_open(&u, op == 0 ? 2 : 0, err, sizeof(err),
	    &why);
	if (s == NULL) {
		if (why == 0 || err[0] == '\0')
			abort();	/* a failure that does not say why */
		return 0;
	}
	if (s->partitions < 1)
		abort();
	switch (op) {
	case 1:
		rv = s->ops->read(s, 0, "", on_record, &n);
		break;
	case 2:
		rv = s->ops->read(s, s->partitions - 1, "@1800000000000",
		    on_record, &n);
		break;
	case 3:
		rv = s->ops->read(s, 0, seqno, on_record, &n);
		break;
	case 4:
		rv = s->ops->append(s, s->partitions - 1, recs, lens, 2);
		break;
	}
	if (rv != 0 && (rv != -1 || s->err == 0 || s->errstr[0] == '\0'))
		abort();
	s->ops->close(s);
	return 0;
}
