// s3-read.mjs: reads back every object of a bucket with the AWS SDK (what a user's tooling sees).
//
//   node s3-read.mjs --endpoint URL --bucket B --out DIR [--access-key K --secret-key S] [--region us-east-1]
//
// Lists all objects (ListObjectsV2, path-style), writes each object's bytes to DIR/<key> (keys
// with "/" make subdirectories) and DIR/index.json: [{key, size, contentType, metadata}] in
// listing order. Pointed at the harness's checking endpoint, the SDK's own requests are
// signature-checked too. Exits non-zero with the error on stderr when anything fails.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
	options: {
		endpoint: { type: 'string' },
		bucket: { type: 'string', default: process.env.S3_HARNESS_BUCKET || 'profiles-test' },
		out: { type: 'string' },
		'access-key': { type: 'string', default: process.env.S3_HARNESS_ACCESS_KEY || 'AKIDTEST' },
		'secret-key': { type: 'string', default: process.env.S3_HARNESS_SECRET_KEY || 'test-secret-key' },
		region: { type: 'string', default: 'us-east-1' },
	},
});

function outputPath(directory, key) {
	const target = path.resolve(directory, key);
	if (!key || key === 'index.json' || !target.startsWith(path.resolve(directory) + path.sep)) {
		throw new Error(`object key ${JSON.stringify(key)} cannot be written under ${directory}`);
	}
	return target;
}

async function main() {
	if (!args.endpoint || !args.out) throw new Error('usage: node s3-read.mjs --endpoint URL --bucket B --out DIR');
	const client = new S3Client({
		endpoint: args.endpoint,
		region: args.region,
		forcePathStyle: true,
		credentials: { accessKeyId: args['access-key'], secretAccessKey: args['secret-key'] },
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
		maxAttempts: 1,
	});
	fs.mkdirSync(args.out, { recursive: true });
	const index = [];
	let ContinuationToken;
	do {
		const page = await client.send(new ListObjectsV2Command({ Bucket: args.bucket, ContinuationToken }));
		for (const { Key } of page.Contents || []) {
			const object = await client.send(new GetObjectCommand({ Bucket: args.bucket, Key }));
			const bytes = await object.Body.transformToByteArray();
			const target = outputPath(args.out, Key);
			fs.mkdirSync(path.dirname(target), { recursive: true });
			fs.writeFileSync(target, bytes);
			index.push({ key: Key, size: bytes.length, contentType: object.ContentType || '', metadata: object.Metadata || {} });
		}
		ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
	} while (ContinuationToken);
	fs.writeFileSync(path.join(args.out, 'index.json'), JSON.stringify(index, null, 2));
	client.destroy();
}

main().catch((error) => {
	process.stderr.write(`s3-read: ${error.name || 'Error'}: ${error.message}\n`);
	process.exit(1);
});
