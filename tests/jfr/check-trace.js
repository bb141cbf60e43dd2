// Checks a file against the rules of Chrome's Trace Event Format as trace
// viewers (Perfetto, chrome://tracing) apply them, for what asprof-jfr
// timeline writes. Usage: node check-trace.js TRACE.json EXPECTED_POLLS
// Exit 0: valid; 1: a rule broken (named on stderr); 2: usage.
'use strict';
const fs = require('fs');
if (process.argv.length !== 4) {
	console.error('usage: node check-trace.js TRACE.json EXPECTED_POLLS');
	process.exit(2);
}
const fail = (message) => {
	console.error('check-trace: ' + message);
	process.exit(1);
};
let trace;
try {
	trace = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
} catch (e) {
	fail('not JSON: ' + e.message);
}
if (!trace || !Array.isArray(trace.traceEvents)) fail('no traceEvents array');
const isInt = (v) => Number.isInteger(v);
const named = new Set();
const slices = new Map();
let polls = 0;
trace.traceEvents.forEach((event, index) => {
	const where = 'event ' + index;
	if (typeof event !== 'object' || event === null) fail(where + ' is not an object');
	if (typeof event.name !== 'string') fail(where + ' has no name');
	if (!isInt(event.pid) || !isInt(event.tid)) fail(where + ' needs integer pid and tid');
	switch (event.ph) {
	case 'M':
		if (!['process_name', 'thread_name'].includes(event.name)) fail(where + ': unknown metadata ' + event.name);
		if (!event.args || typeof event.args.name !== 'string') fail(where + ': metadata without args.name');
		if (event.name === 'thread_name') named.add(event.tid);
		break;
	case 'X':
		if (typeof event.ts !== 'number' || event.ts < 0) fail(where + ': X needs ts >= 0');
		if (typeof event.dur !== 'number' || event.dur < 0) fail(where + ': X needs dur >= 0');
		if (!slices.has(event.tid)) slices.set(event.tid, []);
		slices.get(event.tid).push([event.ts, event.ts + event.dur]);
		if (event.name === 'poll') polls++;
		break;
	case 'i':
		if (typeof event.ts !== 'number' || event.ts < 0) fail(where + ': i needs ts >= 0');
		if (!['g', 'p', 't'].includes(event.s)) fail(where + ': i needs scope s of g, p or t');
		break;
	default:
		fail(where + ': unexpected phase ' + event.ph);
	}
	if (event.ph !== 'M' && !named.has(event.tid)) {
		// thread_name records come first in our files: every thread is named.
		fail(where + ': thread ' + event.tid + ' has no thread_name before it');
	}
});
// Complete events on one thread must nest or be disjoint, or viewers misdraw them.
for (const [tid, list] of slices) {
	list.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
	const open = [];
	for (const [start, end] of list) {
		while (open.length && open[open.length - 1] <= start) open.pop();
		if (open.length && end > open[open.length - 1] + 1e-3) fail('thread ' + tid + ': slices overlap without nesting at ts ' + start);
		open.push(end);
	}
}
if (polls !== Number(process.argv[3])) fail('expected ' + process.argv[3] + ' poll slices, found ' + polls);
console.log('check-trace: ok: ' + trace.traceEvents.length + ' events, ' + polls + ' polls');
