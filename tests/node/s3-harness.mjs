// s3-harness.mjs: an S3 endpoint for the tests that checks every signature.
//
//   node s3-harness.mjs --bucket profiles-test --access-key AKIDTEST --secret-key SECRET [--region us-east-1]
//
// Starts s3rver (silent, in a fresh temp directory, on 127.0.0.1:<ephemeral>) with the bucket,
// and in front of it a proxy on 127.0.0.1:<ephemeral> that recomputes the SigV4 signature of
// every request with AWS's own signer (@smithy/signature-v4) from the request's x-amz-date,
// signed headers and x-amz-content-sha256, and checks x-amz-content-sha256 against the body.
// A request that passes is forwarded to s3rver unchanged (Host included; s3rver treats an IP
// host as path-style) and s3rver's answer is piped back; one that fails gets S3's own error
// (403 SignatureDoesNotMatch, 400 XAmzContentSHA256Mismatch, ...) as S3-style XML.
//
// Prints ONE JSON line on stdout when ready:
//   {"endpoint":"http://127.0.0.1:<proxy>","s3rver":"http://127.0.0.1:<port>","bucket":"..."}
// logs one line per request to stderr, and exits (removing its temp directory) when stdin
// closes or on SIGTERM/SIGINT. Works with node >= 18.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4, getCanonicalHeaders, prepareRequest } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');

const { values: args } = parseArgs({
	options: {
		bucket: { type: 'string', default: process.env.S3_HARNESS_BUCKET || 'profiles-test' },
		'access-key': { type: 'string', default: process.env.S3_HARNESS_ACCESS_KEY || 'AKIDTEST' },
		'secret-key': { type: 'string', default: process.env.S3_HARNESS_SECRET_KEY || 'test-secret-key' },
		region: { type: 'string', default: 'us-east-1' },
	},
});

const MAX_SKEW_MS = 15 * 60 * 1000;
const log = (line) => process.stderr.write(`[s3-harness] ${line}\n`);

class S3Failure extends Error {
	constructor(status, code, message, details = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.details = details;
	}
}

const xmlEscape = (text) =>
	String(text).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);

function errorXml(failure) {
	const details = Object.entries(failure.details)
		.map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
		.join('');
	return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code><Message>${xmlEscape(failure.message)}</Message>${details}</Error>`;
}

// RFC 3986 encoding as the AWS SDK's escapeUri does it (encodeURIComponent plus !'()*).
const escapeUri = (text) =>
	encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function decodeOrKeep(text) {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

// S3 signs the URI-encoded path of the object: each segment decoded as received, encoded once.
function canonicalPath(rawPath) {
	return rawPath.split('/').map((segment) => escapeUri(decodeOrKeep(segment))).join('/');
}

function parseQuery(rawQuery) {
	const query = {};
	for (const part of rawQuery ? rawQuery.split('&') : []) {
		if (!part) continue;
		const at = part.indexOf('=');
		const key = decodeOrKeep(at < 0 ? part : part.slice(0, at));
		const value = at < 0 ? '' : decodeOrKeep(part.slice(at + 1));
		if (key in query) query[key] = [].concat(query[key], value);
		else query[key] = value;
	}
	return query;
}

function parseAuthorization(header) {
	const match = /^AWS4-HMAC-SHA256 (.*)$/.exec(header || '');
	if (!match) {
		throw new S3Failure(403, header ? 'SignatureDoesNotMatch' : 'AccessDenied',
			header ? 'Only AWS4-HMAC-SHA256 Authorization headers are accepted by the test harness'
				: 'Anonymous requests are not accepted: the Authorization header is missing');
	}
	const fields = {};
	for (const component of match[1].split(',')) {
		const at = component.indexOf('=');
		if (at > 0) fields[component.slice(0, at).trim()] = component.slice(at + 1).trim();
	}
	if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) {
		throw new S3Failure(400, 'AuthorizationHeaderMalformed',
			'The authorization header requires three components: Credential, SignedHeaders, and Signature.');
	}
	const [accessKey, date, region, service, terminator] = fields.Credential.split('/');
	return { accessKey, date, region, service, terminator, signedHeaders: fields.SignedHeaders.split(';'), signature: fields.Signature };
}

function parseAmzDate(value) {
	const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value || '');
	if (!match) throw new S3Failure(403, 'AccessDenied', 'AWS authentication requires a valid x-amz-date header (YYYYMMDDTHHMMSSZ)');
	const [, y, mo, d, h, mi, s] = match.map(Number);
	return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function checkScope(auth, amzDate) {
	if (auth.accessKey !== args['access-key']) {
		throw new S3Failure(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
	}
	const scope = `${auth.date}/${auth.region}/${auth.service}/${auth.terminator}`;
	if (auth.date !== amzDate.slice(0, 8) || auth.region !== args.region || auth.service !== 's3' || auth.terminator !== 'aws4_request') {
		throw new S3Failure(403, 'SignatureDoesNotMatch',
			`Credential scope ${scope} does not match ${amzDate.slice(0, 8)}/${args.region}/s3/aws4_request`);
	}
}

function checkPayload(headers, body) {
	const declared = headers['x-amz-content-sha256'];
	if (!declared) throw new S3Failure(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
	if (declared === 'UNSIGNED-PAYLOAD') return declared;
	if (declared.startsWith('STREAMING-')) {
		throw new S3Failure(501, 'NotImplemented', `The test harness does not accept streaming payloads (${declared})`);
	}
	const actual = createHash('sha256').update(body).digest('hex');
	if (declared !== actual) {
		throw new S3Failure(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.",
			{ ClientComputedContentSHA256: declared, S3ComputedContentSHA256: actual });
	}
	return declared;
}

async function verify(req, body) {
	const auth = parseAuthorization(req.headers.authorization);
	const amzDate = req.headers['x-amz-date'];
	const signingDate = parseAmzDate(amzDate);
	if (Math.abs(Date.now() - signingDate.getTime()) > MAX_SKEW_MS) {
		throw new S3Failure(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.',
			{ RequestTime: amzDate, ServerTime: new Date().toISOString() });
	}
	checkScope(auth, amzDate);
	const payloadHash = checkPayload(req.headers, body);
	for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
		if (!auth.signedHeaders.includes(required)) {
			throw new S3Failure(403, 'SignatureDoesNotMatch', `SignedHeaders must include ${required}`);
		}
	}
	const headers = {};
	for (const name of auth.signedHeaders) {
		if (req.headers[name] === undefined) throw new S3Failure(403, 'SignatureDoesNotMatch', `Signed header ${name} is missing`);
		headers[name] = req.headers[name];
	}
	const at = req.url.indexOf('?');
	const request = {
		method: req.method,
		protocol: 'http:',
		hostname: '127.0.0.1',
		path: canonicalPath(at < 0 ? req.url : req.url.slice(0, at)),
		query: parseQuery(at < 0 ? '' : req.url.slice(at + 1)),
		headers,
	};
	const credentials = { accessKeyId: args['access-key'], secretAccessKey: args['secret-key'] };
	const signer = new SignatureV4({ credentials, region: args.region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
	const signable = new Set(auth.signedHeaders);
	const signed = await signer.sign(request, { signingDate, signableHeaders: signable });
	const expected = /Signature=([0-9a-f]+)/.exec(signed.headers.authorization)[1];
	const expectedHeaders = /SignedHeaders=([^,]+)/.exec(signed.headers.authorization)[1];
	if (expected !== auth.signature || expectedHeaders !== auth.signedHeaders.join(';')) {
		const prepared = prepareRequest({ ...request, headers: { ...headers, 'x-amz-date': amzDate } });
		const canonical = signer.createCanonicalRequest(prepared, getCanonicalHeaders(prepared, undefined, signable), payloadHash);
		throw new S3Failure(403, 'SignatureDoesNotMatch',
			'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
			{ AWSAccessKeyId: auth.accessKey, SignatureProvided: auth.signature, SignatureExpected: expected, CanonicalRequest: canonical });
	}
}

function forward(req, body, res, target) {
	const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (answer) => {
		res.writeHead(answer.statusCode, answer.statusMessage, answer.headers);
		answer.pipe(res);
	});
	upstream.on('error', (error) => {
		log(`forwarding failed: ${error.message}`);
		res.writeHead(502, { 'content-type': 'text/plain' });
		res.end(`s3-harness: s3rver did not answer: ${error.message}\n`);
	});
	upstream.end(body);
}

function proxy(target) {
	return http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', async () => {
			const body = Buffer.concat(chunks);
			try {
				await verify(req, body);
				log(`${req.method} ${req.url}: signature ok (${body.length} bytes)`);
				forward(req, body, res, target);
			} catch (error) {
				const failure = error instanceof S3Failure ? error : new S3Failure(500, 'InternalError', `harness error: ${error.message}`);
				log(`${req.method} ${req.url}: ${failure.status} ${failure.code}: ${failure.message}`);
				const xml = errorXml(failure);
				res.writeHead(failure.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
				res.end(xml);
			}
		});
	});
}

async function main() {
	const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'asprof-s3-harness-'));
	AWSAccount.DUMMY_ACCOUNT.createKeyPair(args['access-key'], args['secret-key']);
	const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: args.bucket, configs: [] }] });
	const { port: s3rverPort } = await s3rver.run();
	const server = proxy(s3rverPort);
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const ready = { endpoint: `http://127.0.0.1:${server.address().port}`, s3rver: `http://127.0.0.1:${s3rverPort}`, bucket: args.bucket };
	process.stdout.write(`${JSON.stringify(ready)}\n`);
	log(`ready: ${JSON.stringify(ready)} (data in ${directory})`);

	let stopping = false;
	const stop = (why) => {
		if (stopping) return;
		stopping = true;
		log(`stopping: ${why}`);
		const finish = () => {
			fs.rmSync(directory, { recursive: true, force: true });
			process.exit(0);
		};
		setTimeout(finish, 2000).unref();
		server.close();
		server.closeAllConnections?.();
		s3rver.httpServer?.closeAllConnections?.();
		s3rver.close().catch(() => {}).finally(finish);
	};
	process.stdin.on('end', () => stop('stdin closed'));
	process.stdin.on('error', () => stop('stdin error'));
	process.stdin.resume();
	process.on('SIGTERM', () => stop('SIGTERM'));
	process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
	log(`failed to start: ${error.stack || error}`);
	process.exit(1);
});
