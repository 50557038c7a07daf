/*
 * table_dynamo.h - the table tier in DynamoDB or a store with its API:
 * dynamodb://TABLE[?region=R][&endpoint=URL][&ttl=DURATION]
 * (table_dynamo.c).
 */
#ifndef DMD_TABLE_DYNAMO_H
#define DMD_TABLE_DYNAMO_H

#include <stddef.h>

#include "table.h"
#include "url.h"

struct dmd_table *dmd_table_dynamo_open(const struct dmd_url *u, char *err,
    size_t errlen);

#endif
