// t/servers/s3rver.js - s3rver's command line, its PUT made atomic as
// S3's is.  t/lib/dmd.bash starts it as
//
//   node --openssl-legacy-provider t/servers/s3rver.js -a 127.0.0.1 -p 0 ...
//
// s3rver 3.7 writes an object straight into its final file: a reader
// (GET or a listing) sees it half written, and a PUT whose client dies
// leaves a truncated object behind for good.  S3 stores an object whole
// or not at all, and the archive tier relies on that (common/archive.h),
// so here the bytes go to a file beside it that listings ignore (it does
// not end in ._S3rver_object) and are renamed into place once all came.
'use strict';

const crypto = require('crypto');
const fs = require('fs-extra');
const path = require('path');
const { Transform, pipeline } = require('stream');
const FilesystemStore = require('s3rver/lib/stores/filesystem');

let serial = 0;

FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  const tmp = `${objectPath}.tmp-${process.pid}-${++serial}`;
  const md5 = crypto.createHash('md5');
  let size = 0;

  await fs.mkdirp(path.dirname(objectPath));
  try {
    if (Buffer.isBuffer(object.content)) {
      await fs.writeFile(tmp, object.content);
      md5.update(object.content);
      size = object.content.length;
    } else {
      await new Promise((resolve, reject) => {
        pipeline(
          object.content,
          new Transform({
            transform(chunk, encoding, callback) {
              md5.update(chunk, encoding);
              size += chunk.length;
              callback(null, chunk);
            },
          }),
          fs.createWriteStream(tmp),
          err => (err ? reject(err) : resolve()),
        );
      });
    }
    await fs.rename(tmp, objectPath);
  } catch (err) {
    await fs.remove(tmp).catch(() => {});
    throw err;
  }
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};

require('s3rver/bin/s3rver.js');
